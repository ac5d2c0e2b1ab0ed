"""What the public may see of a trust's Robson report, when the trust publishes its figures.

The small-number rules are the monthly measures' (`portal.measures.disclosure`): a count from 1
to 7 is never shown, other counts are rounded to the nearest 5, and a percentage worked out from
a count that may not be shown is not shown either.

A Robson table needs one rule more. Its percentages add up (the group sizes to 100, the relative
contributions to 100, the absolute contributions to the overall rate), so a single withheld row
could be found by subtracting the others from the total. So:

1. A group is withheld when its women, its caesareans or its women without a caesarean number
   from 1 to 7 (any of these can be worked out from its CS rate and the others).
2. When any group is withheld, the smallest shown groups (fewest women first) are withheld with
   it until the withheld groups' women, caesareans and women without a caesarean, added up, are
   each 0 or at least 8: then subtracting tells only a total of several groups (one withheld
   group alone is always small) that is not itself a small number.
3. A withheld group shows `*` in every column. The report is not shown at all when no set of
   groups satisfies rule 2, when every group with women would be withheld, or when the total's
   own caesareans or women without a caesarean are from 1 to 7.

Percentages are shown to one decimal place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from portal.measures.disclosure import is_suppressed, public_count
from portal.robson.report import ReportRow, RobsonReport

WITHHELD = "*"


@dataclass(frozen=True)
class PublicRow:
    """A row as the public sees it: every figure already text."""

    group: str
    description: str
    women: str
    caesareans: str
    group_size: str
    cs_rate: str
    absolute_contribution: str
    relative_contribution: str
    withheld: bool


@dataclass(frozen=True)
class PublicReport:
    rows: tuple[PublicRow, ...]
    total: PublicRow
    unclassified: str
    withheld: int  # how many groups show `*`


def _small(row: ReportRow) -> bool:
    return any(is_suppressed(n) for n in (row.women, row.caesareans, row.women - row.caesareans))


def _safe(rows: Iterable[ReportRow]) -> bool:
    """Whether the rows' sums (what subtraction from the total would give) are not small."""
    chosen = list(rows)
    women = sum(row.women for row in chosen)
    caesareans = sum(row.caesareans for row in chosen)
    return not any(is_suppressed(n) for n in (women, caesareans, women - caesareans))


def withheld_groups(report: RobsonReport) -> set[str] | None:
    """The groups to withhold (rules 1 and 2), or None when the report cannot be shown."""
    total = report.total
    if total.women == 0 or _small(total):
        return None
    withheld = [row for row in report.rows if _small(row)]
    others = sorted(
        (row for row in report.rows if row.women and row not in withheld),
        key=lambda row: row.women,  # sorted() keeps report order among equals
    )
    while not _safe(withheld):
        if not others:
            return None
        withheld.append(others.pop(0))
    if withheld and not others:
        return None  # every group with women withheld: the table would show only its total
    return {row.group for row in withheld}


def _percent(value: Fraction | None) -> str:
    """One decimal place, half up (12.25 is 12.3), like the report's two (`report.rounded`)."""
    if value is None:
        return ""
    tenths = math.floor(value * 10 + Fraction(1, 2))
    return f"{Decimal(tenths).scaleb(-1):.1f}"


def _shown(row: ReportRow, withheld: bool) -> PublicRow:
    if withheld:
        return PublicRow(row.group, row.description, *(WITHHELD,) * 6, withheld=True)
    return PublicRow(
        row.group,
        row.description,
        public_count(row.women),
        public_count(row.caesareans),
        _percent(row.group_size),
        _percent(row.cs_rate),
        _percent(row.absolute_contribution),
        _percent(row.relative_contribution),
        withheld=False,
    )


def public_report(report: RobsonReport, unclassified: int) -> PublicReport | None:
    """The report as the public may see it, or None when too few women were counted to show it
    without revealing a small number."""
    withheld = withheld_groups(report)
    if withheld is None:
        return None
    return PublicReport(
        rows=tuple(_shown(row, row.group in withheld) for row in report.rows),
        total=_shown(report.total, False),
        unclassified=public_count(unclassified),
        withheld=len(withheld),
    )
