"""Placing one birth in its Robson group: every edge the WHO definitions name, the order that
makes the groups mutually exclusive, checked against the definitions table for every valid
combination of values, and the births that are left unplaced (missing, invalid or contradictory
values) with their reasons."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest

from portal.robson.classify import (
    FIELDS,
    NULLIPAROUS_WITH_SCAR,
    PRE_LABOUR_CS_WITHOUT_CS,
    Birth,
    Unclassifiable,
    classify,
    is_caesarean,
)
from portal.robson.groups import CLASSIFIED_CODES

#: A first birth, one baby head first, at 40 weeks, labour started on its own, born vaginally.
FIRST_BIRTH = Birth(
    parity="0",
    previous_cs="no",
    fetuses="1",
    presentation="cephalic",
    gestation_weeks="40",
    onset="spontaneous",
    caesarean="no",
)


def birth(**values: Any) -> Birth:
    return replace(FIRST_BIRTH, **values)


LATER_BIRTH = {"parity": "1+"}
WITH_SCAR = {"parity": "1+", "previous_cs": "yes"}


# --- Every edge the WHO definitions name -------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "group"),
    [
        pytest.param({}, "1", id="first birth, cephalic, term, spontaneous labour: 1"),
        pytest.param({"onset": "induced"}, "2a", id="first birth, term cephalic, induced: 2a"),
        pytest.param(
            {"onset": "caesarean before labour", "caesarean": "yes"},
            "2b",
            id="first birth, term cephalic, caesarean before labour: 2b",
        ),
        pytest.param(LATER_BIRTH, "3", id="later birth, no scar, term cephalic, spontaneous: 3"),
        pytest.param(
            {**LATER_BIRTH, "onset": "induced"}, "4a", id="later birth, no scar, induced: 4a"
        ),
        pytest.param(
            {**LATER_BIRTH, "onset": "caesarean before labour", "caesarean": "yes"},
            "4b",
            id="later birth, no scar, caesarean before labour: 4b",
        ),
        pytest.param(WITH_SCAR, "5", id="previous caesarean, term cephalic, spontaneous: 5"),
        pytest.param(
            {**WITH_SCAR, "onset": "induced"},
            "5",
            id="previous caesarean, term cephalic, induced: 5",
        ),
        pytest.param(
            {**WITH_SCAR, "onset": "caesarean before labour", "caesarean": "yes"},
            "5",
            id="previous caesarean, term cephalic, caesarean before labour: 5",
        ),
        pytest.param({"presentation": "breech"}, "6", id="first birth, breech: 6"),
        pytest.param(
            {"presentation": "breech", "gestation_weeks": "30"},
            "6",
            id="first birth, preterm breech: 6, not 10",
        ),
        pytest.param({**LATER_BIRTH, "presentation": "breech"}, "7", id="later birth, breech: 7"),
        pytest.param(
            {**WITH_SCAR, "presentation": "breech"}, "7", id="previous caesarean, breech: 7"
        ),
        pytest.param({"fetuses": "2+"}, "8", id="twins, first birth: 8"),
        pytest.param({**WITH_SCAR, "fetuses": "2+"}, "8", id="twins, previous caesarean: 8"),
        pytest.param({"fetuses": "2+", "presentation": "breech"}, "8", id="twins, breech: 8"),
        pytest.param(
            {"fetuses": "2+", "presentation": "transverse/oblique"},
            "8",
            id="twins, transverse lie: 8",
        ),
        pytest.param(
            {"fetuses": "2+", "gestation_weeks": "32"}, "8", id="twins, preterm: 8, not 10"
        ),
        pytest.param({"presentation": "transverse/oblique"}, "9", id="transverse lie: 9"),
        pytest.param(
            {**WITH_SCAR, "presentation": "transverse/oblique"},
            "9",
            id="transverse lie, previous caesarean: 9",
        ),
        pytest.param(
            {"presentation": "oblique", "gestation_weeks": "33"},
            "9",
            id="oblique lie, preterm: 9, not 10",
        ),
        pytest.param({"gestation_weeks": "34"}, "10", id="first birth, preterm cephalic: 10"),
        pytest.param(
            {**WITH_SCAR, "gestation_weeks": "34"},
            "10",
            id="previous caesarean, preterm cephalic: 10, not 5",
        ),
        pytest.param(
            {**LATER_BIRTH, "gestation_weeks": "35", "onset": "induced"},
            "10",
            id="later birth, preterm cephalic, induced: 10, not 4a",
        ),
    ],
)
def test_each_birth_the_who_definitions_name_falls_in_its_group(
    values: dict[str, str], group: str
) -> None:
    assert classify(birth(**values)) == group


@pytest.mark.parametrize(
    ("weeks", "group"),
    [("37", "1"), ("36", "10"), (37, "1"), (36, "10"), ("45", "1"), ("20", "10")],
)
def test_exactly_37_weeks_is_term_and_36_is_preterm(weeks: str | int, group: str) -> None:
    assert classify(birth(gestation_weeks=weeks)) == group
    assert classify(birth(gestation_weeks=weeks, **WITH_SCAR)) == ("5" if group == "1" else "10")


# --- The groups are mutually exclusive and cover every birth -----------------------------------


def _definition_groups(
    first: bool, scar: bool, multiple: bool, lie: str, weeks: int, onset: str
) -> list[str]:
    """Every group whose WHO definition fits, read straight from the definitions table (not
    from the order the portal tests them in): exactly one should fit."""
    single_cephalic_term = not multiple and lie == "cephalic" and weeks >= 37
    definitions = {
        "1": first and not scar and single_cephalic_term and onset == "spontaneous",
        "2a": first and not scar and single_cephalic_term and onset == "induced",
        "2b": first and not scar and single_cephalic_term and onset == "caesarean before labour",
        "3": not first and not scar and single_cephalic_term and onset == "spontaneous",
        "4a": not first and not scar and single_cephalic_term and onset == "induced",
        "4b": not first
        and not scar
        and single_cephalic_term
        and onset == "caesarean before labour",
        "5": not first and scar and single_cephalic_term,
        "6": first and not multiple and lie == "breech",
        "7": not first and not multiple and lie == "breech",
        "8": multiple,
        "9": not multiple and lie == "transverse/oblique",
        "10": not multiple and lie == "cephalic" and weeks < 37,
    }
    return [group for group, fits in definitions.items() if fits]


def test_every_consistent_birth_falls_in_exactly_the_one_group_whose_definition_fits() -> None:
    placed = set()
    for parity, scar, fetuses, lie, weeks, onset, caesarean in itertools.product(
        ("0", "1+"),
        ("yes", "no"),
        ("1", "2+"),
        ("cephalic", "breech", "transverse/oblique"),
        range(20, 46),
        ("spontaneous", "induced", "caesarean before labour"),
        ("yes", "no"),
    ):
        values = Birth(parity, scar, fetuses, lie, str(weeks), onset, caesarean)
        group = classify(values)
        contradictory = (parity == "0" and scar == "yes") or (
            onset == "caesarean before labour" and caesarean == "no"
        )
        if contradictory:
            assert isinstance(group, Unclassifiable), values
            continue
        fits = _definition_groups(parity == "0", scar == "yes", fetuses == "2+", lie, weeks, onset)
        assert fits == [group], values
        placed.add(group)
    assert placed == set(CLASSIFIED_CODES)


# --- How values are read -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "presentation",
    [
        "transverse/oblique",
        "Transverse/Oblique",
        "  TRANSVERSE / OBLIQUE  ",
        "transverse",
        "Oblique",
        " oblique ",
    ],
)
def test_transverse_or_oblique_in_any_of_its_spellings_is_group_9(presentation: str) -> None:
    assert classify(birth(presentation=presentation)) == "9"


def test_values_are_read_whatever_their_case_and_surrounding_spaces() -> None:
    shouted = Birth(" 1+ ", "YES", " 1", " Cephalic", "39 ", "Caesarean  Before Labour", " Yes ")
    assert classify(shouted) == "5"
    assert is_caesarean(shouted)


@pytest.mark.parametrize(("parity", "group"), [("1", "3"), ("2", "3"), ("7", "3"), ("0", "1")])
def test_parity_given_as_a_count_of_previous_births_is_read_as_0_or_1_plus(
    parity: str, group: str
) -> None:
    assert classify(birth(parity=parity)) == group


@pytest.mark.parametrize("fetuses", ["2", "3", "2+"])
def test_two_or_more_fetuses_given_as_a_number_is_a_multiple_pregnancy(fetuses: str) -> None:
    assert classify(birth(fetuses=fetuses)) == "8"


# --- Births left unplaced ----------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_a_missing_value_leaves_the_birth_unplaced_and_is_named(
    field: str, empty: str | None
) -> None:
    result = classify(birth(**{field: empty}))
    assert result == Unclassifiable(f"{field} is missing", field)


@pytest.mark.parametrize("field", ["onset", "gestation_weeks", "presentation", "previous_cs"])
def test_a_missing_value_the_group_does_not_use_still_leaves_the_birth_unplaced(
    field: str,
) -> None:
    # Twins are group 8 whatever these values are; being strict, a gap still leaves them out.
    assert classify(birth(fetuses="2+")) == "8"
    result = classify(birth(fetuses="2+", **{field: ""}))
    assert isinstance(result, Unclassifiable)
    assert result.field == field


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("parity", "-1", "parity must be 0 or 1+"),
        ("parity", "one", "parity must be 0 or 1+"),
        ("parity", "0+", "parity must be 0 or 1+"),
        ("parity", "1.5", "parity must be 0 or 1+"),
        ("previous_cs", "maybe", "previous_cs must be yes or no"),
        ("previous_cs", "y", "previous_cs must be yes or no"),
        ("fetuses", "0", "fetuses must be 1 or 2+"),
        ("fetuses", "twins", "fetuses must be 1 or 2+"),
        ("presentation", "face", "presentation must be cephalic, breech or transverse/oblique"),
        ("presentation", "unknown", "presentation must be cephalic, breech or transverse/oblique"),
        ("gestation_weeks", "19", "gestation_weeks must be from 20 to 45"),
        ("gestation_weeks", "46", "gestation_weeks must be from 20 to 45"),
        ("gestation_weeks", 19, "gestation_weeks must be from 20 to 45"),
        ("gestation_weeks", "37.5", "gestation_weeks must be a whole number of weeks"),
        ("gestation_weeks", "37+2", "gestation_weeks must be a whole number of weeks"),
        ("gestation_weeks", "-37", "gestation_weeks must be a whole number of weeks"),
        ("gestation_weeks", "٣٨", "gestation_weeks must be a whole number of weeks"),
        ("gestation_weeks", True, "gestation_weeks must be a whole number of weeks"),
        (
            "onset",
            "augmented",
            "onset must be spontaneous, induced or caesarean before labour",
        ),
        ("onset", "elective", "onset must be spontaneous, induced or caesarean before labour"),
        ("caesarean", "emergency", "caesarean must be yes or no"),
    ],
)
def test_an_invalid_value_leaves_the_birth_unplaced_with_a_fixed_reason_naming_the_field(
    field: str, value: str | int, reason: str
) -> None:
    # The reason is a fixed text: reasons group into counts, and no value is repeated back.
    assert classify(birth(**{field: value})) == Unclassifiable(reason, field)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"fetuses": "2+"},
        {"presentation": "breech"},
        {"presentation": "transverse"},
        {"gestation_weeks": "30"},
    ],
)
def test_a_first_birth_with_a_previous_caesarean_is_contradictory_whatever_its_group(
    values: dict[str, str],
) -> None:
    result = classify(birth(previous_cs="yes", **values))
    assert result == Unclassifiable(NULLIPAROUS_WITH_SCAR)


@pytest.mark.parametrize("parity", ["0", "1+"])
def test_a_caesarean_before_labour_that_was_not_a_caesarean_is_contradictory(parity: str) -> None:
    result = classify(birth(parity=parity, onset="caesarean before labour", caesarean="no"))
    assert result == Unclassifiable(PRE_LABOUR_CS_WITHOUT_CS)


def test_a_birth_with_several_problems_gets_the_first_in_column_order() -> None:
    result = classify(birth(parity="", gestation_weeks="99", previous_cs="yes"))
    assert result == Unclassifiable("parity is missing", "parity")


@pytest.mark.parametrize(("value", "expected"), [("yes", True), (" No ", False)])
def test_is_caesarean_reads_the_caesarean_value(value: str, expected: bool) -> None:
    assert is_caesarean(birth(caesarean=value)) is expected


def test_is_caesarean_refuses_a_value_that_is_not_yes_or_no() -> None:
    with pytest.raises(ValueError, match="caesarean must be yes or no"):
        is_caesarean(birth(caesarean="perhaps"))
