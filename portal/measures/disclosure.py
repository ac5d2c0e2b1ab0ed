"""What the public may see of a trust's figures: the small-number rules of NHS statistics.

NHS Digital's statistical disclosure control for published health statistics (as used for the
Maternity Services Data Set and Hospital Episode Statistics) shows a count from 1 to 7 as `*` and
rounds every other count to the nearest 5; a rate is worked out from the true counts, and is
suppressed with them. The people who may see a trust's own figures (its staff, its region's
coordinator, the programme team) see them whole.

A public chart is drawn from the months whose counts can be shown only: a suppressed month is
left out of the drawing and of the mean and limits, so that nothing on the page reveals it. A
count must not be found by subtraction either: a rate shown over a known denominator also gives
its complement (95% of 40 women with a previous caesarean tells that 2 did not give birth
vaginally), and the three caesarean rates share their parts (the total less the emergency rate is
the elective one). So a month is left out of a measure's chart when any count that measure's
rates show or imply, complements included, is from 1 to 7; and out of all three caesarean rates
when any of theirs is.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal.measures.models import Measure, MonthlyCounts

SMALLEST_SHOWN = 8


def is_suppressed(count: int) -> bool:
    """A count from 1 to 7 is never shown to the public (0 is)."""
    return 0 < count < SMALLEST_SHOWN


def public_count(count: int) -> str:
    """The count as the public sees it: `*` for 1 to 7, otherwise to the nearest 5."""
    if is_suppressed(count):
        return "*"
    rounded = (count + 2) // 5 * 5  # halves (…2.5) do not occur: counts are whole
    return f"{rounded:,}"


CAESAREAN_RATES = (Measure.TOTAL_CS, Measure.ELECTIVE_CS, Measure.EMERGENCY_CS)


def implied_counts(row: MonthlyCounts, measure: Measure) -> list[int]:
    """Every count that the measure's public rate for the month shows or lets a reader work out."""
    measures = CAESAREAN_RATES if measure in CAESAREAN_RATES else (measure,)
    counts = []
    for each in measures:
        numerator, denominator = row.numerator(each), row.denominator(each)
        counts += [numerator, denominator, denominator - numerator]
    return counts


def shown_months(rows: Iterable[MonthlyCounts], measure: Measure) -> list[MonthlyCounts]:
    """The months whose rate for `measure` reveals no count from 1 to 7 (see the module)."""
    return [
        row
        for row in rows
        if not any(is_suppressed(count) for count in implied_counts(row, measure))
    ]
