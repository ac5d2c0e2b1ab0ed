"""A trust's Robson table on its public page: only when the trust publishes its figures, never
with a count from 1 to 7, and never with a withheld group that subtraction would give away."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.measures.service import set_published
from portal.robson.disclosure import public_report, withheld_groups
from portal.robson.groups import CLASSIFIED_CODES
from portal.robson.report import build_report
from portal.robson.service import record_month
from tests.client import PortalClient
from tests.factories import make_trust

#: A month of a unit's births, no group small: 4,921 women, 1,381 caesareans.
LARGE = {
    "1": (1203, 160),
    "2a": (596, 180),
    "2b": (148, 148),
    "3": (1377, 28),
    "4a": (343, 24),
    "4b": (150, 150),
    "5": (497, 349),
    "6": (101, 86),
    "7": (75, 65),
    "8": (74, 55),
    "9": (24, 24),
    "10": (333, 112),
}


def test_a_table_without_small_numbers_is_shown_whole_with_counts_rounded() -> None:
    shown = public_report(build_report(LARGE), unclassified=12)

    assert shown is not None and shown.withheld == 0
    one = next(row for row in shown.rows if row.group == "1")
    # 1,203 women shown as 1,205; 160 of 1,203 is 13.30%, shown to one decimal.
    assert (one.women, one.caesareans, one.cs_rate) == ("1,205", "160", "13.3")
    assert shown.total.women == "4,920" and shown.total.group_size == "100.0"
    assert shown.unclassified == "10"


@pytest.mark.parametrize(
    ("group", "counts", "withheld"),
    [
        # 5 women; with group 8 (74 women, the smallest other) the pair is 79 women.
        ("9", (5, 5), {"9", "8"}),
        # 3 caesareans; group 9 (24 women, all caesareans) brings the pair to 27.
        ("7", (75, 3), {"7", "9"}),
        # 5 women without a caesarean; group 9 adds none, so group 8 (19 without) is needed.
        ("6", (101, 96), {"6", "9", "8"}),
    ],
)
def test_a_group_with_a_small_number_is_withheld_with_the_smallest_groups_that_hide_it(
    group: str, counts: tuple[int, int], withheld: set[str]
) -> None:
    shown = public_report(build_report({**LARGE, group: counts}), unclassified=0)

    assert shown is not None
    assert {row.group for row in shown.rows if row.withheld} == withheld
    for row in shown.rows:
        if row.withheld:
            assert {row.women, row.caesareans, row.group_size, row.cs_rate} == {"*"}
        else:
            assert "*" not in (row.women, row.caesareans, row.group_size, row.cs_rate)


def test_withheld_groups_grow_until_their_sum_is_not_a_small_number() -> None:
    # Groups 9 and 8 are small in caesareans (2 and 3): together 5, still small, so the next
    # smallest group (7, 75 women) is withheld too.
    report = build_report({**LARGE, "9": (24, 2), "8": (74, 3)})

    assert withheld_groups(report) == {"9", "8", "7"}


def test_a_table_whose_total_gives_away_a_small_number_is_not_shown() -> None:
    # 40 women, 36 caesareans: the total CS rate tells that 4 did not have one.
    tiny = {code: (0, 0) for code in CLASSIFIED_CODES} | {"5": (30, 27), "10": (10, 9)}

    assert public_report(build_report(tiny), unclassified=0) is None


def test_a_table_in_which_every_group_would_be_withheld_is_not_shown() -> None:
    # One group of 3 women and one of 100: hiding the 3 takes withholding both.
    few = {code: (0, 0) for code in CLASSIFIED_CODES} | {"1": (3, 1), "3": (100, 20)}

    assert public_report(build_report(few), unclassified=0) is None


counts = st.tuples(st.integers(0, 60), st.integers(0, 60)).map(
    lambda pair: (max(pair), min(pair))  # caesareans never exceed women
)


@settings(deadline=None, max_examples=300)
@given(st.fixed_dictionaries({code: counts for code in CLASSIFIED_CODES}))
def test_nothing_shown_reveals_a_small_number_directly_or_by_subtraction(
    given_counts: dict[str, tuple[int, int]],
) -> None:
    report = build_report(given_counts)
    withheld = withheld_groups(report)
    if withheld is None:
        return
    rows = {row.group: row for row in report.rows}
    for code, row in rows.items():
        if code not in withheld:
            for number in (row.women, row.caesareans, row.women - row.caesareans):
                assert not 0 < number < 8
    if withheld:
        chosen = [rows[code] for code in withheld]
        women = sum(row.women for row in chosen)
        caesareans = sum(row.caesareans for row in chosen)
        assert len(chosen) >= 2
        for number in (women, caesareans, women - caesareans):
            assert not 0 < number < 8


def robson_section(html: str) -> str:
    start = html.find('id="robson"')
    return html[start : html.find("Improvement stories")] if start >= 0 else ""


def test_the_public_sees_the_robson_table_only_when_the_trust_publishes(
    app: Flask, client: PortalClient
) -> None:
    trust = make_trust()
    for month in range(1, 13):
        record_month(trust, date(2026, month, 1), {**LARGE, "9": (5, 5)}, actor=None)
    assert robson_section(client.get("/trusts/RT1").get_data(as_text=True)) == ""

    set_published(trust, True, actor=None)
    section = robson_section(client.get("/trusts/RT1").get_data(as_text=True))

    assert "Robson groups, January 2026 to December 2026" in section
    # A year of group 9 is 60 women (shown as 60); nothing is small, so nothing is withheld.
    cells = re.findall(r'nhsuk-table__cell--numeric">([^<]*)<', section)
    assert "*" not in cells
    # 12 × 4,902 = 58,824 women, shown rounded as 58,825; the exact figure is never shown.
    assert "58,825" in section and "58,824" not in section

    set_published(trust, False, actor=None)
    assert robson_section(client.get("/trusts/RT1").get_data(as_text=True)) == ""


def test_a_small_group_on_the_public_page_is_a_star_in_every_column(
    app: Flask, client: PortalClient
) -> None:
    trust = make_trust()
    record_month(trust, date(2026, 3, 1), {**LARGE, "9": (5, 5)}, actor=None)
    set_published(trust, True, actor=None)

    section = robson_section(client.get("/trusts/RT1").get_data(as_text=True))

    rows = re.findall(r"<tr class=\"nhsuk-table__row[^\"]*\">(.*?)</tr>", section, flags=re.S)
    starred = [
        re.search(r"<span>([0-9ab]+)</span>", row).group(1)  # type: ignore[union-attr]
        for row in rows
        if row.count('">*<span class="nhsuk-u-visually-hidden"> (not shown)') == 6
    ]
    assert sorted(starred) == ["8", "9"]  # 9 (5 women) and the smallest other, 8 (74)
    assert "2 groups here" in section


def test_the_public_robson_table_shows_new_counts_at_once(app: Flask, client: PortalClient) -> None:
    trust = make_trust()
    record_month(trust, date(2026, 3, 1), LARGE, actor=None)
    set_published(trust, True, actor=None)
    assert "Robson groups, March 2026<" in client.get("/trusts/RT1").get_data(as_text=True)

    record_month(trust, date(2026, 4, 1), LARGE, actor=None)

    page = client.get("/trusts/RT1").get_data(as_text=True)
    assert "Robson groups, March 2026 to April 2026" in page
