"""Reading an anonymised file of births: only the seven columns, in any order; any other column
refused and named before a row is read; rows that cannot be classified counted by reason with
their line numbers; counts kept, rows never."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from portal.robson.births import MAX_ROWS, read_births
from portal.robson.classify import FIELDS
from portal.robson.groups import CLASSIFIED_CODES

HEADER = "parity,previous_cs,fetuses,presentation,gestation_weeks,onset,caesarean"
ROWS = {
    "1 vaginal": "0,no,1,cephalic,40,spontaneous,no",
    "1 caesarean": "0,no,1,cephalic,39,spontaneous,yes",
    "2a": "0,no,1,cephalic,41,induced,no",
    "2b": "0,no,1,cephalic,39,caesarean before labour,yes",
    "5": "1+,yes,1,cephalic,39,induced,yes",
    "8": "1+,yes,2+,breech,34,spontaneous,yes",
    "9": "1+,no,1,transverse/oblique,38,caesarean before labour,yes",
    "10": "1+,no,1,cephalic,33,spontaneous,no",
}


def births_file(lines: Sequence[str], header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode()


def test_each_group_counts_its_women_and_their_caesareans() -> None:
    read = read_births(births_file(list(ROWS.values())))
    assert read.problem is None
    assert read.rows == 8
    assert read.classified_rows == 8
    assert read.unclassifiable == {}
    assert read.counts == {
        "1": (2, 1),
        "2a": (1, 0),
        "2b": (1, 1),
        "3": (0, 0),
        "4a": (0, 0),
        "4b": (0, 0),
        "5": (1, 1),
        "6": (0, 0),
        "7": (0, 0),
        "8": (1, 1),
        "9": (1, 1),
        "10": (1, 0),
    }
    assert tuple(read.counts) == CLASSIFIED_CODES


@pytest.mark.parametrize(
    "header",
    [
        "caesarean,onset,gestation_weeks,presentation,fetuses,previous_cs,parity",
        "ONSET, Parity ,previous_CS,fetuses,Caesarean,gestation_weeks,presentation",
        '"gestation_weeks","parity","previous_cs","fetuses","presentation","onset","caesarean"',
    ],
)
def test_the_columns_may_come_in_any_order_and_any_case(header: str) -> None:
    names = [name.strip().strip('"').lower() for name in header.split(",")]
    values = dict(zip(FIELDS, ROWS["2b"].split(","), strict=True))
    row = ",".join(values[name] for name in names)
    read = read_births(births_file([row, row], header=header))
    assert read.problem is None
    assert read.counts["2b"] == (2, 2)


def test_a_header_after_a_byte_order_mark_is_read() -> None:
    read = read_births(b"\xef\xbb\xbf" + births_file([ROWS["10"]]))
    assert read.problem is None
    assert read.counts["10"] == (1, 0)


@pytest.mark.parametrize(
    "column", ["nhs_number", "NHS number", "name", "date_of_birth", "postcode"]
)
def test_a_column_that_could_identify_a_woman_is_refused_and_named(column: str) -> None:
    # The identifying column comes last and every row is otherwise good: nothing is read.
    data = births_file(
        [ROWS["1 vaginal"] + ",9434765919", ROWS["5"] + ",Jane Smith"],
        header=f"{HEADER},{column}",
    )
    read = read_births(data)
    assert read.problem is not None
    assert repr(column) in read.problem
    assert "counts only" in read.problem
    assert "could identify a woman" in read.problem
    assert "parity, previous_cs, fetuses, presentation, gestation_weeks, onset, caesarean" in (
        read.problem
    )
    assert read.counts == {}
    assert read.rows == 0


def test_every_extra_column_is_named_even_among_good_ones() -> None:
    header = (
        "Name,parity,previous_cs,fetuses,postcode,presentation,gestation_weeks,onset,"
        "caesarean,,date_of_birth"
    )
    read = read_births(births_file([], header=header))
    assert read.problem is not None
    assert read.problem.startswith(
        "The file has columns the portal does not accept: 'Name', 'postcode', "
        "(a column with no name), 'date_of_birth'."
    )


def test_an_extra_column_is_refused_before_a_bad_row_is_looked_at() -> None:
    data = births_file(['1,"unclosed'], header=f"{HEADER},hospital_number")
    read = read_births(data)
    assert read.problem is not None
    assert "'hospital_number'" in read.problem


def test_a_first_line_of_data_without_a_header_is_not_repeated_back() -> None:
    read = read_births(b"9434765919,Jane Smith,1985-02-11,LS1 4AP\r\n0,no,1,cephalic\r\n")
    assert read.problem is not None
    assert "names none of them" in read.problem
    for detail in ("9434765919", "Jane", "1985", "LS1"):
        assert detail not in read.problem


@pytest.mark.parametrize("missing", FIELDS)
def test_a_missing_column_is_refused_and_named(missing: str) -> None:
    header = ",".join(name for name in FIELDS if name != missing)
    read = read_births(births_file([], header=header))
    assert read.problem is not None
    assert read.problem.startswith(f"The file has no {missing} column:")


def test_several_missing_columns_are_all_named() -> None:
    read = read_births(births_file([], header="parity,previous_cs,fetuses,presentation"))
    assert read.problem is not None
    assert read.problem.startswith("The file has no gestation_weeks, onset, caesarean columns:")


def test_a_column_named_twice_is_refused() -> None:
    read = read_births(births_file([], header=f"{HEADER},Parity"))
    assert read.problem == "The header names parity more than once: name each column once"


def test_unclassifiable_rows_are_counted_by_reason_with_their_first_line_numbers() -> None:
    no_onset = "0,no,1,cephalic,40,,no"
    lines = [
        ROWS["1 vaginal"],  # line 2
        no_onset,  # 3
        "",  # 4: an empty row is left out, and not counted
        "0,yes,1,cephalic,40,spontaneous,no",  # 5: a first birth with a previous caesarean
        no_onset,  # 6
        ROWS["5"],  # 7
        "0,no,1,cephalic,18,spontaneous,no",  # 8
        *[no_onset] * 6,  # 9 to 14
        "0,no,1,cephalic",  # 15: too few values
    ]
    read = read_births(births_file(lines))
    assert read.problem is None
    assert read.rows == 13
    assert read.unclassifiable_rows == 11
    assert read.classified_rows == 2
    assert read.counts["1"] == (1, 0)
    assert read.counts["5"] == (1, 1)
    found = {reason: (r.count, r.lines) for reason, r in read.unclassifiable.items()}
    assert found == {
        "onset is missing": (8, [3, 6, 9, 10, 11]),  # the first 5 of its 8 lines
        "parity 0 with previous_cs yes: a woman giving birth for the first time cannot have "
        "had a caesarean before": (1, [5]),
        "gestation_weeks must be from 20 to 45": (1, [8]),
        "the row does not have exactly 7 values": (1, [15]),
    }


def test_a_row_with_a_value_more_than_the_header_is_unclassifiable_and_its_values_dropped() -> None:
    read = read_births(births_file([ROWS["2a"] + ",Jane Smith", ROWS["2a"]]))
    assert read.problem is None
    assert read.counts["2a"] == (1, 0)
    assert read.unclassifiable["the row does not have exactly 7 values"].lines == [2]
    assert "Jane" not in repr(read)


def test_a_row_is_named_by_the_line_it_starts_on_when_a_value_holds_a_line_break() -> None:
    lines = ['0,no,1,"cephalic\nor breech",40,spontaneous,no', "0,no,1,cephalic,40,,no"]
    read = read_births(births_file(lines))
    assert {reason: r.lines for reason, r in read.unclassifiable.items()} == {
        "presentation must be cephalic, breech or transverse/oblique": [2],
        "onset is missing": [4],
    }


def test_no_value_from_the_file_is_kept_in_what_is_read() -> None:
    read = read_births(births_file(["0,no,1,face-to-pubis,40,spontaneous,no", ROWS["2a"]]))
    assert "face-to-pubis" not in repr(read)
    assert read.unclassifiable_rows == 1


def test_a_header_without_rows_is_refused() -> None:
    read = read_births(births_file([]))
    assert read.problem == "The file has a header but no rows of births"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "The file is empty"),
        (b"\xff\xfeparity", "The file is not UTF-8 text"),
        (HEADER.encode() + b"\n0,no\x00,1", "The file holds NUL characters"),
    ],
)
def test_a_file_that_is_not_csv_text_gets_the_portals_usual_message(
    data: bytes, problem: str
) -> None:
    read = read_births(data)
    assert read.problem is not None
    assert read.problem.startswith(problem)


def test_a_file_of_more_than_max_rows_is_refused() -> None:
    row = ROWS["1 vaginal"].encode() + b"\n"
    refused = read_births(HEADER.encode() + b"\n" + row * (MAX_ROWS + 1))
    assert refused.problem is not None
    assert refused.problem.startswith("The file has 100,001 rows of births; at most 100,000")
    assert refused.counts == {}


def test_a_file_of_exactly_max_rows_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("portal.robson.births.MAX_ROWS", 3)  # the boundary, without 100,000 rows
    assert read_births(births_file([ROWS["2a"]] * 3)).counts["2a"] == (3, 0)
    assert read_births(births_file([ROWS["2a"]] * 4)).problem is not None
