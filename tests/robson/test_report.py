"""The Robson report table: the four percentages against tables worked out by hand (one of them
published), rounding half up, no value where a denominator is zero, groups 2 and 4 whole or
split, totals over trusts that split and trusts that do not, and the discussion notes."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.robson.groups import (
    CLASSIFIED_CODES,
    GROUP_CODES,
    GroupCounts,
    code_problems,
    combine,
    count_problems,
)
from portal.robson.report import (
    CSV_HEADER,
    MIN_WOMEN_FOR_NOTES,
    WHO_MANUAL,
    build_report,
    csv_rows,
    discussion_notes,
    percent,
    percent_text,
    rounded,
)

# --- A published table -------------------------------------------------------------------------

#: BMJ Open 2018;8(10):e022875 (doi:10.1136/bmjopen-2018-022875), Table 3, column "All
#: hospitals": caesareans / births in each Robson group, 18 908 births in three hospitals.
PUBLISHED = {
    "1": (3564, 324),
    "2": (1366, 314),
    "3": (7036, 239),
    "4": (2077, 236),
    "5": (2510, 1846),
    "6": (216, 206),
    "7": (355, 312),
    "8": (732, 501),
    "9": (8, 8),
    "10": (1044, 351),
}


def test_published_table_every_percentage_worked_out_by_hand() -> None:
    # All women W = 18908, all caesareans C = 4337 (the table's total row).
    # size = women/W, CS rate = caesareans/women, absolute = caesareans/W, relative = caes./C:
    #  1: 3564/18908 = 18.8492  324/3564 =   9.0909   324/18908 = 1.7136   324/4337 =  7.4706
    #  2: 1366/18908 =  7.2245  314/1366 =  22.9868   314/18908 = 1.6607   314/4337 =  7.2400
    #  3: 7036/18908 = 37.2118  239/7036 =   3.3968   239/18908 = 1.2640   239/4337 =  5.5107
    #  4: 2077/18908 = 10.9848  236/2077 =  11.3625   236/18908 = 1.2481   236/4337 =  5.4415
    #  5: 2510/18908 = 13.2748  1846/2510 = 73.5458  1846/18908 = 9.7631  1846/4337 = 42.5640
    #  6:  216/18908 =  1.1424  206/216 =   95.3704   206/18908 = 1.0895   206/4337 =  4.7498
    #  7:  355/18908 =  1.8775  312/355 =   87.8873   312/18908 = 1.6501   312/4337 =  7.1939
    #  8:  732/18908 =  3.8714  501/732 =   68.4426   501/18908 = 2.6497   501/4337 = 11.5518
    #  9:    8/18908 =  0.0423    8/8 =    100.0000     8/18908 = 0.0423     8/4337 =  0.1845
    # 10: 1044/18908 =  5.5215  351/1044 =  33.6207   351/18908 = 1.8564   351/4337 =  8.0932
    # total: CS rate = absolute = 4337/18908 = 22.9374
    assert csv_rows(build_report(PUBLISHED)) == [
        ["1", "3564", "324", "18.85", "9.09", "1.71", "7.47"],
        ["2", "1366", "314", "7.22", "22.99", "1.66", "7.24"],
        ["3", "7036", "239", "37.21", "3.40", "1.26", "5.51"],
        ["4", "2077", "236", "10.98", "11.36", "1.25", "5.44"],
        ["5", "2510", "1846", "13.27", "73.55", "9.76", "42.56"],
        ["6", "216", "206", "1.14", "95.37", "1.09", "4.75"],
        ["7", "355", "312", "1.88", "87.89", "1.65", "7.19"],
        ["8", "732", "501", "3.87", "68.44", "2.65", "11.55"],
        ["9", "8", "8", "0.04", "100.00", "0.04", "0.18"],
        ["10", "1044", "351", "5.52", "33.62", "1.86", "8.09"],
        ["total", "18908", "4337", "100.00", "22.94", "22.94", "100.00"],
    ]


def test_published_table_cs_rates_match_the_papers_own_one_decimal_figures() -> None:
    printed = {"1": "9.1", "2": "23.0", "3": "3.4", "4": "11.4", "5": "73.5", "6": "95.4"}
    printed |= {"7": "87.9", "8": "68.4", "9": "100.0", "10": "33.6", "total": "22.9"}
    report = build_report(PUBLISHED)
    for row in (*report.rows, report.total):
        assert row.cs_rate is not None
        one_decimal = Decimal(row.cs_rate.numerator) / Decimal(row.cs_rate.denominator)
        assert f"{one_decimal:.1f}" == printed[row.group], row.group


# --- An invented table, with groups 2 and 4 split ----------------------------------------------

#: Invented, realistic counts (not from any publication), chosen so the arithmetic is easy to
#: follow: 1000 women, 250 caesareans.
INVENTED = {
    "1": (300, 30),
    "2a": (100, 30),
    "2b": (50, 50),
    "3": (250, 5),
    "4a": (60, 6),
    "4b": (20, 20),
    "5": (100, 70),
    "6": (15, 14),
    "7": (15, 10),
    "8": (15, 8),
    "9": (5, 5),
    "10": (70, 2),
}


def test_invented_split_table_every_percentage_worked_out_by_hand() -> None:
    # W = 1000 women, so size = women/10 and absolute = caesareans/10 (in %);
    # C = 250 caesareans, so relative = caesareans × 100/250 = caesareans × 0.4.
    # CS rates: 30/300 = 10; 30/100 = 30; 50/50 = 100; 5/250 = 2; 6/60 = 10; 20/20 = 100;
    # 70/100 = 70; 14/15 = 93.333…; 10/15 = 66.666… (rounds up); 8/15 = 53.333…; 5/5 = 100;
    # 2/70 = 2.857… (rounds up); total 250/1000 = 25.
    assert csv_rows(build_report(INVENTED)) == [
        ["1", "300", "30", "30.00", "10.00", "3.00", "12.00"],
        ["2a", "100", "30", "10.00", "30.00", "3.00", "12.00"],
        ["2b", "50", "50", "5.00", "100.00", "5.00", "20.00"],
        ["3", "250", "5", "25.00", "2.00", "0.50", "2.00"],
        ["4a", "60", "6", "6.00", "10.00", "0.60", "2.40"],
        ["4b", "20", "20", "2.00", "100.00", "2.00", "8.00"],
        ["5", "100", "70", "10.00", "70.00", "7.00", "28.00"],
        ["6", "15", "14", "1.50", "93.33", "1.40", "5.60"],
        ["7", "15", "10", "1.50", "66.67", "1.00", "4.00"],
        ["8", "15", "8", "1.50", "53.33", "0.80", "3.20"],
        ["9", "5", "5", "0.50", "100.00", "0.50", "2.00"],
        ["10", "70", "2", "7.00", "2.86", "0.20", "0.80"],
        ["total", "1000", "250", "100.00", "25.00", "25.00", "100.00"],
    ]


def test_the_csv_header_is_exactly_the_published_one() -> None:
    assert CSV_HEADER == (
        "group",
        "women",
        "caesareans",
        "group_size_pct",
        "cs_rate_pct",
        "absolute_contribution_pct",
        "relative_contribution_pct",
    )


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(CLASSIFIED_CODES),
        st.integers(0, 5000).flatmap(lambda w: st.tuples(st.just(w), st.integers(0, w))),
        min_size=1,
    )
)
def test_exact_sizes_and_relative_contributions_add_up_to_100_and_absolute_to_the_rate(
    counts: dict[str, tuple[int, int]],
) -> None:
    report = build_report(counts)
    if report.total.women:
        assert sum(row.group_size or 0 for row in report.rows) == 100
        assert sum(row.absolute_contribution or 0 for row in report.rows) == report.total.cs_rate
    if report.total.caesareans:
        assert sum(row.relative_contribution or 0 for row in report.rows) == 100


# --- Rounding and zero denominators ------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (1, 8, "12.50"),
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (1, 200, "0.50"),
        (1, 800, "0.13"),  # 0.125 exactly: half up, where rounding half to even gives 0.12
        (1, 160, "0.63"),  # 0.625 exactly: half up (half to even: 0.62)
        (1, 1600, "0.06"),  # 0.0625 is below the half
        (7, 7, "100.00"),
        (0, 9, "0.00"),
    ],
)
def test_percentages_are_rounded_half_up_to_two_decimals(part: int, whole: int, shown: str) -> None:
    assert percent_text(percent(part, whole)) == shown
    assert rounded(percent(part, whole)) == Decimal(shown)


def test_a_group_without_women_has_no_cs_rate() -> None:
    report = build_report({"1": (10, 2), "6": (0, 0)})
    group_6 = report.row("6")
    assert group_6 is not None
    assert group_6.cs_rate is None
    assert group_6.group_size == 0
    assert csv_rows(report)[report.rows.index(group_6)] == [
        "6",
        "0",
        "0",
        "0.00",
        "",
        "0.00",
        "0.00",
    ]


def test_without_caesareans_no_relative_contribution_has_a_value() -> None:
    report = build_report({"1": (10, 0), "3": (5, 0)})
    assert all(row.relative_contribution is None for row in (*report.rows, report.total))
    assert csv_rows(report)[-1] == ["total", "15", "0", "100.00", "0.00", "0.00", ""]


def test_without_women_every_percentage_is_empty_and_nothing_divides_by_zero() -> None:
    report = build_report({})
    assert [row.group for row in report.rows] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
    assert all(row[3:] == ["", "", "", ""] for row in csv_rows(report))
    assert csv_rows(report)[-1] == ["total", "0", "0", "", "", "", ""]


# --- Groups 2 and 4, whole or split ------------------------------------------------------------


def test_split_counts_show_2a_and_2b_and_whole_counts_show_2() -> None:
    split = build_report({"2a": (4, 1), "4": (3, 0)})
    assert [row.group for row in split.rows] == [
        "1",
        "2a",
        "2b",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
    ]
    assert split.row("2b") is not None
    assert split.row("2") is None


@pytest.mark.parametrize("parent", ["2", "4"])
@pytest.mark.parametrize("part", ["a", "b"])
def test_one_period_giving_a_group_both_whole_and_split_is_refused(parent: str, part: str) -> None:
    counts = {parent: (10, 2), f"{parent}{part}": (3, 1)}
    assert code_problems(counts) == [
        f"Group {parent} is given both whole ({parent}) and split ({parent}{part}) for one "
        f"period: give either {parent}, or {parent}a and {parent}b, not both"
    ]
    with pytest.raises(ValueError, match="both whole"):
        build_report(counts)


def test_an_unknown_group_is_refused_and_the_allowed_groups_listed() -> None:
    assert code_problems(["1", "11", "2c"]) == [
        "Unknown Robson group '11', '2c': the groups are "
        "1, 2, 2a, 2b, 3, 4, 4a, 4b, 5, 6, 7, 8, 9, 10"
    ]
    assert code_problems(GROUP_CODES[:1]) == []


@pytest.mark.parametrize(
    ("counts", "problem"),
    [
        ({"9": (2, 3)}, "Group 9: 3 caesareans is more than its 2 women"),
        ({"1": (-1, 0)}, "Group 1: women and caesareans must be whole numbers, 0 or more"),
        ({"1": (5, True)}, "Group 1: women and caesareans must be whole numbers, 0 or more"),
        ({"1": (5.0, 1)}, "Group 1: women and caesareans must be whole numbers, 0 or more"),
    ],
)
def test_impossible_counts_are_refused(counts: dict[str, tuple[int, int]], problem: str) -> None:
    assert count_problems(counts) == [problem]
    with pytest.raises(ValueError, match=problem):
        build_report(counts)


def test_region_totals_show_2_whole_when_any_trust_gives_it_whole() -> None:
    splits = {"1": (10, 1), "2a": (5, 2), "2b": (3, 3), "4a": (4, 1), "4b": (1, 1)}
    whole = {"1": (20, 2), "2": (6, 2), "4a": (2, 0), "4b": (2, 2)}
    assert combine([splits, whole]) == {
        "1": (30, 3),
        "2": (14, 7),  # 5 + 3 + 6 women, 2 + 3 + 2 caesareans
        "4a": (6, 1),  # both trusts split group 4, so it stays split
        "4b": (3, 3),
    }
    assert [row.group for row in build_report(combine([splits, whole])).rows][:5] == [
        "1",
        "2",
        "3",
        "4a",
        "4b",
    ]


def test_region_totals_keep_2a_and_2b_when_every_trust_splits_them() -> None:
    assert combine([{"2a": (5, 2), "2b": (3, 3)}, {"2a": (1, 0)}]) == {
        "2a": (6, 2),
        "2b": (3, 3),
    }


def test_a_trust_that_gives_no_form_of_group_2_does_not_merge_it() -> None:
    assert combine([{"2a": (5, 2), "2b": (3, 3)}, {"1": (9, 1)}]) == {
        "1": (9, 1),
        "2a": (5, 2),
        "2b": (3, 3),
    }


def test_a_trust_that_gives_group_2_whole_with_no_women_still_merges_it() -> None:
    assert combine([{"2a": (5, 2), "2b": (3, 3)}, {"2": (0, 0)}]) == {"2": (8, 5)}


def test_combining_refuses_a_period_that_mixes_whole_and_split() -> None:
    with pytest.raises(ValueError, match="both whole"):
        combine([{"2a": (5, 2)}, {"2": (1, 0), "2b": (1, 1)}])


def test_combined_counts_are_group_counts() -> None:
    assert combine([{"5": (3, 2)}, {"5": (1, 1)}])["5"] == GroupCounts(women=4, caesareans=3)


# --- Discussion notes --------------------------------------------------------------------------

#: Invented counts of 1000 women that are usual in every respect the notes look at: only the
#: largest contributor (group 5) is noted.
TYPICAL = {
    "1": (250, 40),
    "2": (130, 50),
    "3": (300, 6),
    "4": (105, 9),
    "5": (120, 90),
    "6": (15, 14),
    "7": (15, 10),
    "8": (15, 10),
    "9": (5, 5),
    "10": (45, 15),
}


def typical(changes: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """TYPICAL with some groups changed, group 3 taking up the difference so that there are
    still 1000 women (so a group of n women is n/10 %)."""
    counts = {**TYPICAL, **changes}
    if "3" not in changes:
        extra = sum(w for w, _ in counts.values()) - 1000
        counts["3"] = (TYPICAL["3"][0] - extra, TYPICAL["3"][1])
    assert sum(w for w, _ in counts.values()) == 1000
    return counts


def note_keys(counts: dict[str, tuple[int, int]], unclassifiable: int | None = None) -> list[str]:
    return [note.key for note in discussion_notes(build_report(counts), unclassifiable)]


def test_a_usual_table_is_noted_only_for_its_largest_contributor() -> None:
    assert note_keys(TYPICAL) == ["largest_contributor"]


@pytest.mark.parametrize(
    ("group_1", "noted"),
    [(219, True), (220, False), (290, False), (291, True)],
    ids=["34.9%", "35.0%", "42.0%", "42.1%"],
)
def test_groups_1_and_2_are_noted_outside_35_to_42_percent(group_1: int, noted: bool) -> None:
    # Group 2 has 130 women: 219 + 130 = 349 of 1000 = 34.9%; 291 + 130 = 42.1%.
    keys = note_keys(typical({"1": (group_1, 40)}))
    assert ("groups_1_2_size" in keys) is noted


def test_split_groups_2a_and_2b_count_towards_groups_1_and_2() -> None:
    split = {**TYPICAL, "2a": (100, 30), "2b": (30, 20)}
    del split["2"]
    assert note_keys(split) == ["largest_contributor"]


@pytest.mark.parametrize(("group_10", "noted"), [(50, False), (51, True)], ids=["5.0%", "5.1%"])
def test_group_10_is_noted_above_5_percent(group_10: int, noted: bool) -> None:
    assert ("group_10_size" in note_keys(typical({"10": (group_10, 15)}))) is noted


@pytest.mark.parametrize(("group_2", "noted"), [(200, False), (201, True)])
def test_group_1_smaller_than_group_2_is_noted(group_2: int, noted: bool) -> None:
    keys = note_keys(typical({"1": (200, 40), "2": (group_2, 50)}))
    assert ("group_1_smaller_than_group_2" in keys) is noted


@pytest.mark.parametrize(("caesareans", "noted"), [(9, False), (10, True)], ids=["3.00%", "3.33%"])
def test_a_group_3_cs_rate_above_3_percent_is_noted_as_a_data_check(
    caesareans: int, noted: bool
) -> None:
    # Group 3 has 300 women: 9/300 = 3.00% is not above 3%; 10/300 = 3.33% is.
    assert ("group_3_cs_rate" in note_keys(typical({"3": (300, caesareans)}))) is noted


def test_a_group_9_birth_that_was_not_a_caesarean_is_noted() -> None:
    (note,) = [n for n in discussion_notes(build_report(typical({"9": (5, 4)}))) if "9" in n.key]
    assert note.key == "group_9_cs_rate"
    assert note.text.startswith("1 of the 5 women in group 9")


@pytest.mark.parametrize(("group_9", "noted"), [(10, False), (11, True)], ids=["1.0%", "1.1%"])
def test_group_9_is_noted_above_1_percent(group_9: int, noted: bool) -> None:
    assert ("group_9_size" in note_keys(typical({"9": (group_9, group_9)}))) is noted


def test_the_largest_contributor_is_named_and_compared_with_group_5_when_it_is_another() -> None:
    notes = discussion_notes(build_report(typical({"2": (130, 95)})))
    (note,) = [n for n in notes if n.key == "largest_contributor"]
    # Caesareans: 249 - 50 + 95 = 294, and 95/294 = 32.312…%
    assert note.text.startswith(
        "The largest share of caesareans comes from group 2 (32.31% of all caesareans)."
    )
    assert "group 5" in note.text


def test_groups_sharing_the_largest_contribution_are_all_named() -> None:
    notes = discussion_notes(build_report(typical({"2": (130, 90)})))
    (note,) = [n for n in notes if n.key == "largest_contributor"]
    # Caesareans: 249 - 50 + 90 = 289, and 90/289 = 31.141…% each
    assert note.text.startswith(
        "The largest share of caesareans comes from group 2 and group 5 (31.14% of all "
        "caesareans each)."
    )


def test_the_unclassifiable_share_is_noted_whatever_the_number_of_women() -> None:
    small = {"1": (10, 1)}
    (note,) = discussion_notes(build_report(small), unclassifiable=5)
    assert note.key == "unclassifiable"
    # 5 of 15 women = 33.33%
    assert note.text.startswith("5 of 15 women (33.33%) could not be placed in a group")
    assert note_keys(small, unclassifiable=0) == []
    assert note_keys(small) == []


def test_other_notes_wait_for_at_least_100_women() -> None:
    # Group 1 smaller than group 2, groups 1 and 2 all the women, group 2 the largest contributor.
    assert note_keys({"1": (49, 5), "2": (50, 30)}) == []
    assert note_keys({"1": (49, 5), "2": (51, 30)}) == [
        "groups_1_2_size",
        "group_1_smaller_than_group_2",
        "largest_contributor",
    ]
    assert MIN_WOMEN_FOR_NOTES == 100


def test_every_note_is_a_question_for_discussion_with_its_source() -> None:
    unusual = typical({"1": (100, 40), "2": (200, 50), "10": (90, 15), "9": (20, 15)})
    unusual["3"] = (unusual["3"][0], 60)
    notes = discussion_notes(build_report(unusual), unclassifiable=40)
    assert [note.key for note in notes] == [
        "unclassifiable",
        "groups_1_2_size",
        "group_10_size",
        "group_1_smaller_than_group_2",
        "largest_contributor",
        "group_3_cs_rate",
        "group_9_size",
        "group_9_cs_rate",
    ]
    for note in notes:
        assert note.text.endswith("?"), note.key
        assert note.source.startswith(WHO_MANUAL), note.key


def test_exact_percentages_are_fractions() -> None:
    row = build_report({"1": (3, 1)}).row("1")
    assert row is not None
    assert row.cs_rate == Fraction(100, 3)
