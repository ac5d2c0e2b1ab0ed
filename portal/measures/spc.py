"""XmR charts with NHS England's "Making Data Count" (MDC) rules, in pure Python.

`xmr()` turns a monthly series into an `XmRChart`: segments with their centre line and limits,
each point's special-cause rule and what it signals for the measure's direction, the variation
icon of the latest point and, against a target, the assurance icon. It knows no web page and no
database; the SVG is drawn elsewhere from what it returns.

What it computes (as the issue asks, and as MDC teaches):

- The centre line is the mean of a segment's baseline points; a moving range is the absolute
  difference between a point and the one before it; the process limits are mean ± 2.66 × the mean
  moving range of the baseline, and the 2-sigma lines mean ± (2/3) × 2.66 × the mean moving range.
  2.66 is 3 / d2 (d2 = 1.128 for ranges of two) rounded as MDC and Wheeler print it.
- A segment's baseline is its first `baseline` points (12 by default), as NHSRplotthedots'
  vignette "Number of points required" advises; later points are judged against those locked
  limits. A segment with fewer points than that takes its limits from all of them and is marked
  `trial`; `baseline_points` says how many were used.
- `changes` are indices where a new segment starts (a change the trust marks). Each segment has
  its own mean and limits, and the rules run within a segment only: no run or trend crosses a
  change. The moving range across a change belongs to neither segment: the first point of each
  segment has `moving_range=None` and that difference is left out of both mean moving ranges.
- Special-cause rules, applied in this order; a point takes the first that applies (`rule`), and
  `rules` lists every one that does. Every point of a qualifying run is flagged, not only the
  last:
  1. BEYOND_LIMIT: a point above the upper or below the lower process limit (strictly: a point
     equal to a limit is inside).
  2. SHIFT: a run of 7 or more consecutive points all above, or all below, the mean. A point
     exactly on the mean belongs to neither side, so it ends the run.
  3. TREND: 7 or more consecutive points each higher than the one before (or each lower). Two
     equal consecutive values end the trend. A point at a peak or trough that ends one trend and
     starts the next takes the direction of the earlier one.
  4. TWO_OF_THREE: 2 of 3 consecutive points beyond the same 2-sigma line (both above the upper
     one, or both below the lower one). The points beyond the line are flagged; the third point
     of the three may lie anywhere and is not flagged for it.
- A flagged point's `signal`: for LOWER_IS_BETTER a high-side flag (above the upper limit, above
  the mean, a rising trend, beyond the upper 2-sigma line) is CONCERN and a low-side one
  IMPROVEMENT; the opposite for HIGHER_IS_BETTER; NEITHER gives NEUTRAL. A point flagged by
  several rules takes its side from the first. Unflagged points have `rule=None, signal=None`.
- The variation icon is that of the latest point: COMMON_CAUSE when it has no flag, otherwise its
  signal and its side (a trend's side is its direction).
- The assurance icon compares a target with the last segment's process limits. PASSING when the
  whole range between the limits is on the good side of the target, FAILING when it is all on the
  bad side, HIT_AND_MISS when the target lies between the limits. The comparison is strict: for
  LOWER_IS_BETTER, PASSING needs upper limit < target and FAILING lower limit > target (mirrored
  for HIGHER_IS_BETTER), so a target exactly on a limit is HIT_AND_MISS, as NHSRplotthedots'
  `ptd_calculate_assurance_type()` decides. No target, or direction NEITHER: no assurance icon.

Where published tools differ, and what this module chose. The sources: NHS England's "Making Data
Count" guides (the interactive guide of 2018 and "Making Data Count: Strengthening your
decisions"), the MDC Excel SPC tools, the NHS-R community's NHSRplotthedots R package (which
follows the Excel tools except where its vignette "Deviations from Excel defaults" says; also its
vignette "Number of points required" and `ptd_spc_standard()` and `ptd_calculate_point_type()` in
its source), and Aneurin Bevan University Health Board's Python package abspc 1.1.0.

- Screening of large moving ranges. NHSRplotthedots by default drops moving ranges of 3.267 × the
  mean moving range or more and recomputes the mean moving range (Nelson, 1982; Provost & Murray,
  "The Health Care Data Guide", 2011); the MDC Excel tools and abspc do not. We do not screen:
  trusts compare these charts with the ones the MDC Excel tools draw for them, and the programme's
  definition is mean ± 2.66 × mean moving range.
- Points beyond a process limit in the 2-of-3 rule. NHSRplotthedots and abspc count only points
  between a 2-sigma line and its process limit, and ask all three points to lie on the same side
  of the mean. We follow the rule as Western Electric's handbook (1956) states it and the issue
  reads: a point beyond the process limit is also beyond the 2-sigma line and counts, and the
  third point may lie anywhere. Such a point is flagged BEYOND_LIMIT first; counting it only
  changes whether its neighbour beyond the same 2-sigma line is flagged.
- Run lengths. NHSRplotthedots, and so the MDC Excel tools, use 7 points for both the shift and
  the trend, as we do; abspc uses 8 for the shift and 6 for the trend (the Western Electric and
  Nelson rule sets use 8 or 9 points on one side and 6 for a trend).
- The constant. abspc uses 3 / 1.128 = 2.6596 unrounded; MDC and NHSRplotthedots use 2.66, as
  we do.
- How few points. A segment needs 2 points for a moving range, so a segment of one point has no
  limits (`Segment.has_limits` is false): its mean is its value, its mean moving range 0 and its
  lines sit on the mean, and no rule can flag its point. From 2 points on, limits are drawn as
  trial limits until the segment has `baseline` points. When the last segment has no limits there
  is neither a variation nor an assurance icon. An empty series gives a chart with no points, no
  segments and no icons.
- A lower limit below zero is not clipped here (a rate cannot fall below 0%, but the limit is what
  the arithmetic says); a caller that shows percentages may clip it when drawing.
- Equal values. When every baseline value is equal the mean moving range is 0, so the limits and
  2-sigma lines equal the mean; no point equal to them is beyond them, and points equal to the
  mean are in no shift. A later point that differs at all is beyond a limit.
- Changes at index 0 (nothing comes before it), before the first point or at or after the end of
  the series (no points follow it yet), and repeated changes are ignored, so a caller may pass
  every change a trust has marked. A `baseline` below 2 and a value that is not finite (NaN,
  infinity) raise ValueError: a month without a value is left out of the series by the caller.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import groupby, pairwise

#: 3 / d2 (d2 = 1.128 for moving ranges of two points), rounded as Making Data Count prints it.
LIMIT_FACTOR = 2.66
#: The 2-sigma lines lie two thirds of the way from the mean to the process limits.
TWO_SIGMA_FACTOR = 2 * LIMIT_FACTOR / 3
#: Consecutive points on one side of the mean that make a shift.
SHIFT_LENGTH = 7
#: Consecutive points, each higher (or each lower) than the one before, that make a trend.
TREND_LENGTH = 7


class Direction(Enum):
    """Which way a measure should move."""

    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"
    NEITHER = "neither"


class Rule(Enum):
    """The special-cause rules, in the order a point is tested against them."""

    BEYOND_LIMIT = "a point beyond a process limit"
    SHIFT = "a run of points all above or all below the mean"
    TREND = "a run of points all rising or all falling"
    TWO_OF_THREE = "two of three points beyond the same 2-sigma line"


class Signal(Enum):
    """What a special-cause point means, given the measure's direction."""

    IMPROVEMENT = "improvement"
    CONCERN = "concern"
    NEUTRAL = "neutral"


class Variation(Enum):
    """The variation icon of the latest point."""

    COMMON_CAUSE = "common cause"
    IMPROVEMENT_HIGH = "special cause improvement, high"
    IMPROVEMENT_LOW = "special cause improvement, low"
    CONCERN_HIGH = "special cause concern, high"
    CONCERN_LOW = "special cause concern, low"
    NEUTRAL_HIGH = "special cause, high"
    NEUTRAL_LOW = "special cause, low"


class Assurance(Enum):
    """The assurance icon: where the target sits against the process limits."""

    PASSING = "consistently passing"
    FAILING = "consistently failing"
    HIT_AND_MISS = "hit and miss"


@dataclass(frozen=True)
class Segment:
    """Points `start` to `end` (exclusive) sharing one centre line and one pair of limits."""

    start: int
    end: int
    baseline_points: int
    mean: float
    mean_moving_range: float
    upper_limit: float
    lower_limit: float
    upper_2sigma: float
    lower_2sigma: float
    trial: bool

    @property
    def has_limits(self) -> bool:
        """Whether the baseline held a moving range; a one-point segment has no limits to draw."""
        return self.baseline_points >= 2


@dataclass(frozen=True)
class Point:
    """One month's value, the segment it belongs to and what the rules make of it.

    `moving_range` is None for the first point of each segment; `rule` is the first of `rules`,
    the special-cause rules that flag the point, in the order of `Rule`.
    """

    value: float
    segment: int
    moving_range: float | None
    rule: Rule | None
    signal: Signal | None
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class XmRChart:
    points: tuple[Point, ...]
    segments: tuple[Segment, ...]
    direction: Direction
    variation: Variation | None
    assurance: Assurance | None
    target: float | None


def xmr(
    values: Sequence[float],
    *,
    direction: Direction,
    changes: Sequence[int] = (),
    baseline: int = 12,
    target: float | None = None,
) -> XmRChart:
    """The XmR chart of `values`, with a new segment starting at each index in `changes`."""
    if baseline < 2:
        raise ValueError(f"a baseline needs at least 2 points, not {baseline}")
    series = [float(value) for value in values]
    if not all(math.isfinite(value) for value in series):
        raise ValueError("every value must be a finite number")
    segments = tuple(
        _segment(series, start, end, baseline) for start, end in _bounds(len(series), changes)
    )
    points: list[Point] = []
    last_high: bool | None = None
    for number, segment in enumerate(segments):
        for point, high in _judge(series, number, segment, direction):
            points.append(point)
            last_high = high
    variation = assurance = None
    if segments and segments[-1].has_limits:
        last = points[-1]
        variation = (
            Variation.COMMON_CAUSE
            if last.signal is None or last_high is None
            else _VARIATIONS[last.signal, last_high]
        )
        assurance = _assurance(segments[-1], direction, target)
    return XmRChart(tuple(points), segments, direction, variation, assurance, target)


_VARIATIONS = {
    (Signal.IMPROVEMENT, True): Variation.IMPROVEMENT_HIGH,
    (Signal.IMPROVEMENT, False): Variation.IMPROVEMENT_LOW,
    (Signal.CONCERN, True): Variation.CONCERN_HIGH,
    (Signal.CONCERN, False): Variation.CONCERN_LOW,
    (Signal.NEUTRAL, True): Variation.NEUTRAL_HIGH,
    (Signal.NEUTRAL, False): Variation.NEUTRAL_LOW,
}


def _bounds(length: int, changes: Sequence[int]) -> list[tuple[int, int]]:
    """(start, end) of each segment; changes outside 1 … length - 1 and repeats are ignored."""
    if length == 0:
        return []
    starts = sorted({operator.index(c) for c in changes} & set(range(1, length)))
    edges = [0, *starts, length]
    return list(pairwise(edges))


def _segment(series: list[float], start: int, end: int, baseline: int) -> Segment:
    count = min(baseline, end - start)
    base = series[start : start + count]
    mean = math.fsum(base) / count
    ranges = [abs(b - a) for a, b in pairwise(base)]
    mean_range = math.fsum(ranges) / len(ranges) if ranges else 0.0
    return Segment(
        start=start,
        end=end,
        baseline_points=count,
        mean=mean,
        mean_moving_range=mean_range,
        upper_limit=mean + LIMIT_FACTOR * mean_range,
        lower_limit=mean - LIMIT_FACTOR * mean_range,
        upper_2sigma=mean + TWO_SIGMA_FACTOR * mean_range,
        lower_2sigma=mean - TWO_SIGMA_FACTOR * mean_range,
        trial=count < baseline,
    )


def _judge(
    series: list[float], number: int, segment: Segment, direction: Direction
) -> Iterator[tuple[Point, bool | None]]:
    """Each point of the segment, and the side of its first flag (True: high), if it has one."""
    values = series[segment.start : segment.end]
    flags = {
        Rule.BEYOND_LIMIT: _beyond_limits(values, segment),
        Rule.SHIFT: _shifts(values, segment.mean),
        Rule.TREND: _trends(values),
        Rule.TWO_OF_THREE: _two_of_three(values, segment),
    }
    for i, value in enumerate(values):
        rules = tuple(rule for rule in Rule if i in flags[rule])
        high = flags[rules[0]][i] if rules else None
        yield (
            Point(
                value=value,
                segment=number,
                moving_range=abs(value - values[i - 1]) if i else None,
                rule=rules[0] if rules else None,
                signal=None if high is None else _signal(high, direction),
                rules=rules,
            ),
            high,
        )


def _signal(high: bool, direction: Direction) -> Signal:
    if direction is Direction.NEITHER:
        return Signal.NEUTRAL
    good_is_high = direction is Direction.HIGHER_IS_BETTER
    return Signal.IMPROVEMENT if high == good_is_high else Signal.CONCERN


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _runs(labels: list[int], length: int) -> Iterator[tuple[int, int, int]]:
    """(first, count, label) of each maximal run of one non-zero label at least `length` long."""
    first = 0
    for label, group in groupby(labels):
        count = len(list(group))
        if label and count >= length:
            yield first, count, label
        first += count


# Each rule maps the index (within the segment) of every point it flags to the side of the flag:
# True for high (above, rising), False for low.


def _beyond_limits(values: list[float], segment: Segment) -> dict[int, bool]:
    return {
        i: value > segment.upper_limit
        for i, value in enumerate(values)
        if value > segment.upper_limit or value < segment.lower_limit
    }


def _shifts(values: list[float], mean: float) -> dict[int, bool]:
    sides = [_sign(value - mean) for value in values]
    return {
        i: side > 0
        for first, count, side in _runs(sides, SHIFT_LENGTH)
        for i in range(first, first + count)
    }


def _trends(values: list[float]) -> dict[int, bool]:
    # A trend of n points is n - 1 steps the same way; step k joins point k and point k + 1.
    steps = [_sign(b - a) for a, b in pairwise(values)]
    flagged: dict[int, bool] = {}
    for first, count, way in _runs(steps, TREND_LENGTH - 1):
        for i in range(first, first + count + 1):
            flagged.setdefault(i, way > 0)
    return flagged


def _two_of_three(values: list[float], segment: Segment) -> dict[int, bool]:
    beyond = [
        1 if value > segment.upper_2sigma else -1 if value < segment.lower_2sigma else 0
        for value in values
    ]
    flagged: dict[int, bool] = {}
    for first in range(len(values) - 2):
        window = range(first, first + 3)
        for side in (1, -1):
            if sum(beyond[i] == side for i in window) >= 2:
                flagged.update((i, side > 0) for i in window if beyond[i] == side)
    return flagged


def _assurance(segment: Segment, direction: Direction, target: float | None) -> Assurance | None:
    if target is None or direction is Direction.NEITHER:
        return None
    if segment.upper_limit < target:
        below = True  # every value the process will give is below the target
    elif segment.lower_limit > target:
        below = False
    else:
        return Assurance.HIT_AND_MISS
    good_is_low = direction is Direction.LOWER_IS_BETTER
    return Assurance.PASSING if below == good_is_low else Assurance.FAILING
