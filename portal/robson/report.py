"""The Robson report table and its discussion notes, from counts per group.

Source: WHO, "Robson Classification: Implementation Manual" (2017), whose report table gives
for each group:

- group size: women in the group / all women;
- group CS rate: caesareans in the group / women in the group;
- absolute contribution: caesareans in the group / all women (the groups' absolute
  contributions add up to the overall CS rate);
- relative contribution: caesareans in the group / all caesareans (they add up to 100%).

All are percentages. They are worked out exactly (as `Fraction`s) and rounded only for display,
half up to two decimals (`rounded()`): 1/8 is 12.50, 2/3 is 66.67. A percentage whose
denominator is zero has no value (None, an empty CSV cell), never a division by zero. The total
row has size 100, CS rate and absolute contribution both the overall CS rate, and relative
contribution 100; its figures are exact, so the rounded group rows need not add up to exactly
100.00 (as in any table of rounded figures).

"All women" means the women placed in a group. Women who could not be classified are outside
the table; their number is shown beside it (`discussion_notes(unclassifiable=…)`).

Groups 2 and 4 appear split (2a, 2b) when the counts give them split, whole (2) otherwise; a
period never gives both (`portal.robson.groups`), and counts combined over periods are already
in one form (`groups.combine`). Every other group has a row, with zeros when it has no women.

The figures here are whole: the small-number rules for public views
(`portal.measures.disclosure`) are applied where figures are shown to the public, not here.

Discussion notes (`discussion_notes()`) are prompts for a network event, written as questions
about a unit's population and its data, never as clinical advice. Each quotes the reference
value it compares with and names its source; the reference values are the module constants
below. They compare a unit with what is usual in the large populations behind those values, so
they are left out when the table holds fewer than `MIN_WOMEN_FOR_NOTES` women, when a birth or
two moves a group by whole percentage points. The share of women who could not be classified
is the exception: it is shown whatever the number of women, since it is about the data itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from portal.robson.groups import GROUPS, SPLITS, count_problems, description

WHO_MANUAL = "WHO, Robson Classification: Implementation Manual (2017)"
#: A published application of the manual's interpretation steps, whose Tables 2 and 3 list the
#: reference values it gives.
MANUAL_VALUES = "BMJ Open 2019;9:e027317 (doi:10.1136/bmjopen-2018-027317), Tables 2 and 3"

#: Groups 1 and 2 together: usually 35–42% of women (WHO_MANUAL; MANUAL_VALUES, Table 3).
GROUPS_1_2_USUAL_SIZE = (Fraction(35), Fraction(42))
#: Group 10: usually under 5% of women (WHO_MANUAL; MANUAL_VALUES, Table 3).
GROUP_10_USUAL_MAX_SIZE = Fraction(5)
#: Group 1 is usually larger than group 2 (the reference ratio is 2 or more: MANUAL_VALUES,
#: Table 3). Only a group 1 smaller than group 2 is noted, to leave out differences that a
#: unit's case mix explains easily.
GROUP_1_TO_2_NOTED_BELOW = Fraction(1)
#: Group 3: a CS rate above about 3% is a prompt to check the data (WHO_MANUAL).
GROUP_3_USUAL_MAX_CS_RATE = Fraction(3)
#: Group 9: under 1% of women, and by convention every one a caesarean (WHO_MANUAL;
#: MANUAL_VALUES, Table 2).
GROUP_9_USUAL_MAX_SIZE = Fraction(1)
GROUP_9_EXPECTED_CS_RATE = Fraction(100)
#: Fewer classified women than this and only the unclassifiable share is noted.
MIN_WOMEN_FOR_NOTES = 100

#: The header of the report's CSV download.
CSV_HEADER = (
    "group",
    "women",
    "caesareans",
    "group_size_pct",
    "cs_rate_pct",
    "absolute_contribution_pct",
    "relative_contribution_pct",
)

HUNDRED = Fraction(100)


@dataclass(frozen=True)
class ReportRow:
    """One row of the table: a group (or the total) with its exact percentages."""

    group: str  # a group code, or "total"
    description: str
    women: int
    caesareans: int
    group_size: Fraction | None
    cs_rate: Fraction | None
    absolute_contribution: Fraction | None
    relative_contribution: Fraction | None


@dataclass(frozen=True)
class RobsonReport:
    """The table's group rows, in report order, and its total row."""

    rows: tuple[ReportRow, ...]
    total: ReportRow

    def row(self, code: str) -> ReportRow | None:
        return next((row for row in self.rows if row.group == code), None)

    def women_in(self, *codes: str) -> int:
        """The women in the given groups, counting a whole group as its split parts."""
        return sum(row.women for row in self.rows if row.group in _with_parts(codes))


@dataclass(frozen=True)
class Note:
    """A prompt for discussion about the table, with the reference value's source."""

    key: str
    text: str
    source: str


def _with_parts(codes: tuple[str, ...]) -> set[str]:
    return {part for code in codes for part in (code, *SPLITS.get(code, ()))}


def percent(part: int, whole: int) -> Fraction | None:
    """`part` as an exact percentage of `whole`; None when `whole` is 0."""
    return HUNDRED * part / whole if whole else None


def rounded(value: Fraction | None) -> Decimal | None:
    """A percentage rounded half up to two decimals (12.50, 33.33, 66.67); None stays None.

    Half up means a value exactly halfway goes up: 0.125 becomes 0.13. Percentages here are
    never negative, so "up" and "away from zero" agree.
    """
    if value is None:
        return None
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return Decimal(hundredths).scaleb(-2)


def percent_text(value: Fraction | None) -> str:
    """A percentage as text with two decimals, or "" when it has no value."""
    shown = rounded(value)
    return "" if shown is None else f"{shown:.2f}"


def report_codes(counts: Mapping[str, object]) -> list[str]:
    """The rows a report of these counts shows: groups 2 and 4 split when the counts are."""
    shown = []
    for group in GROUPS:
        family = group.parent or group.code
        if family in SPLITS:
            split = any(part in counts for part in SPLITS[family])
            if split != (group.parent is not None):
                continue
        shown.append(group.code)
    return shown


def build_report(counts: Mapping[str, tuple[int, int]]) -> RobsonReport:
    """The report table of one period's (or combined) `{code: (women, caesareans)}`.

    ValueError when the counts have problems (`groups.count_problems`): an unknown code, a group
    given both whole and split, a negative count, more caesareans than women.
    """
    problems = count_problems(counts)
    if problems:
        raise ValueError("; ".join(problems))
    codes = report_codes(counts)
    women = sum(counts.get(code, (0, 0))[0] for code in codes)
    caesareans = sum(counts.get(code, (0, 0))[1] for code in codes)
    rows = []
    for code in codes:
        group_women, group_caesareans = counts.get(code, (0, 0))
        rows.append(
            ReportRow(
                group=code,
                description=description(code),
                women=group_women,
                caesareans=group_caesareans,
                group_size=percent(group_women, women),
                cs_rate=percent(group_caesareans, group_women),
                absolute_contribution=percent(group_caesareans, women),
                relative_contribution=percent(group_caesareans, caesareans),
            )
        )
    total = ReportRow(
        group="total",
        description="All women placed in a group",
        women=women,
        caesareans=caesareans,
        group_size=HUNDRED if women else None,
        cs_rate=percent(caesareans, women),
        absolute_contribution=percent(caesareans, women),
        relative_contribution=HUNDRED if caesareans else None,
    )
    return RobsonReport(tuple(rows), total)


def csv_rows(report: RobsonReport) -> list[list[str]]:
    """The table as CSV rows under `CSV_HEADER`: one per group, then `total`."""
    return [
        [
            row.group,
            str(row.women),
            str(row.caesareans),
            percent_text(row.group_size),
            percent_text(row.cs_rate),
            percent_text(row.absolute_contribution),
            percent_text(row.relative_contribution),
        ]
        for row in (*report.rows, report.total)
    ]


def _pct(value: Fraction | None) -> str:
    return f"{percent_text(value)}%"


def discussion_notes(report: RobsonReport, unclassifiable: int | None = None) -> list[Note]:
    """Prompts for discussion about the table (see the module); `unclassifiable` is the number
    of women who could not be placed in a group, when known."""
    notes = []
    if unclassifiable:
        everyone = report.total.women + unclassifiable
        notes.append(
            Note(
                "unclassifiable",
                f"{unclassifiable:,} of {everyone:,} women "
                f"({_pct(percent(unclassifiable, everyone))}) could not be placed in a group "
                "because a value was missing or contradictory, and are not in the table. "
                "Which records were incomplete, and how could they be completed at the time "
                "of birth?",
                WHO_MANUAL,
            )
        )
    if report.total.women < MIN_WOMEN_FOR_NOTES:
        return notes
    notes += _population_notes(report)
    notes += _contribution_notes(report)
    notes += _data_quality_notes(report)
    return notes


def _population_notes(report: RobsonReport) -> list[Note]:
    notes = []
    women = report.total.women
    size_1_2 = percent(report.women_in("1", "2"), women)
    low, high = GROUPS_1_2_USUAL_SIZE
    if size_1_2 is not None and not low <= size_1_2 <= high:
        notes.append(
            Note(
                "groups_1_2_size",
                f"Groups 1 and 2 (first births, one baby head first, at term) are "
                f"{_pct(size_1_2)} of women here; in most populations they are about "
                f"{low}–{high}%. Does this reflect the women the unit serves, or how parity "
                "and gestation are recorded?",
                f"{WHO_MANUAL}; {MANUAL_VALUES}",
            )
        )
    size_10 = percent(report.women_in("10"), women)
    if size_10 is not None and size_10 > GROUP_10_USUAL_MAX_SIZE:
        notes.append(
            Note(
                "group_10_size",
                f"Group 10 (one baby head first, before 37 weeks) is {_pct(size_10)} of women "
                f"here; it is usually under {GROUP_10_USUAL_MAX_SIZE}%. Does the unit take "
                "referrals for preterm birth, or is gestation recorded in a way that places "
                "term births here?",
                f"{WHO_MANUAL}; {MANUAL_VALUES}",
            )
        )
    group_1, group_2 = report.women_in("1"), report.women_in("2")
    if group_2 and Fraction(group_1, group_2) < GROUP_1_TO_2_NOTED_BELOW:
        notes.append(
            Note(
                "group_1_smaller_than_group_2",
                f"Group 1 ({group_1:,} women) is smaller than group 2 ({group_2:,}): more "
                "women having a first baby at term had labour induced or a caesarean before "
                "labour than went into labour on their own. Group 1 is usually the larger, "
                "often twice the size. How are decisions about induction and planned "
                "caesarean for first births made and reviewed here?",
                f"{WHO_MANUAL}; {MANUAL_VALUES}",
            )
        )
    return notes


def _contribution_notes(report: RobsonReport) -> list[Note]:
    if not report.total.caesareans:
        return []
    largest = max(row.caesareans for row in report.rows)
    leaders = [row for row in report.rows if row.caesareans == largest]
    names = " and ".join(f"group {row.group}" for row in leaders)
    each = " each" if len(leaders) > 1 else ""
    share = _pct(leaders[0].relative_contribution)
    text = f"The largest share of caesareans comes from {names} ({share} of all caesareans{each})."
    if all(row.group != "5" for row in leaders):
        text += (
            " In many units it is group 5 (women with a previous caesarean); what makes the "
            "difference here?"
        )
    else:
        text += (
            " How are women with a previous caesarean supported in choosing how to give "
            "birth, and how does that compare across the region?"
        )
    return [Note("largest_contributor", text, WHO_MANUAL)]


def _data_quality_notes(report: RobsonReport) -> list[Note]:
    notes = []
    group_3 = report.row("3")
    if (
        group_3 is not None
        and group_3.cs_rate is not None
        and group_3.cs_rate > GROUP_3_USUAL_MAX_CS_RATE
    ):
        notes.append(
            Note(
                "group_3_cs_rate",
                f"The caesarean rate in group 3 (given birth before, no previous caesarean, "
                f"one baby head first, at term, labour started on its own) is "
                f"{_pct(group_3.cs_rate)}; it is rarely above {GROUP_3_USUAL_MAX_CS_RATE}%. "
                "Before drawing conclusions, are women with a previous caesarean or an "
                "induced labour being recorded in this group?",
                WHO_MANUAL,
            )
        )
    group_9 = report.row("9")
    if group_9 is not None and group_9.women:
        size = percent(group_9.women, report.total.women)
        if size is not None and size > GROUP_9_USUAL_MAX_SIZE:
            notes.append(
                Note(
                    "group_9_size",
                    f"Group 9 (baby lying transverse or oblique) is {_pct(size)} of women "
                    f"here; it is usually under {GROUP_9_USUAL_MAX_SIZE}%. Is the lie recorded "
                    "at the time of birth, or earlier in pregnancy?",
                    f"{WHO_MANUAL}; {MANUAL_VALUES}",
                )
            )
        if group_9.cs_rate is not None and group_9.cs_rate < GROUP_9_EXPECTED_CS_RATE:
            vaginal = group_9.women - group_9.caesareans
            notes.append(
                Note(
                    "group_9_cs_rate",
                    f"{vaginal:,} of the {group_9.women:,} women in group 9 (baby lying "
                    "transverse or oblique) gave birth vaginally; by convention the group is "
                    "expected to be all caesareans. Is the lie recorded at the time of birth, "
                    "or earlier in pregnancy?",
                    f"{WHO_MANUAL}; {MANUAL_VALUES}",
                )
            )
    return notes
