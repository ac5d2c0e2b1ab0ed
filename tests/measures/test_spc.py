"""XmR charts with the Making Data Count rules: a published example, each rule at its threshold,
segments and trial limits, the signals and icons, and a comparison with abspc, an independent
implementation of the same method by an NHS health board."""

from __future__ import annotations

import math
import random

import matplotlib
import pytest

from portal.measures.spc import (
    LIMIT_FACTOR,
    Assurance,
    Direction,
    Point,
    Rule,
    Signal,
    Variation,
    XmRChart,
    xmr,
)

matplotlib.use("Agg")  # abspc imports pyplot; these tests draw nothing and have no display

import numpy as np  # abspc's own dependencies, to call it as it expects
import pandas as pd
from abspc import spc as abspc

LOWER = Direction.LOWER_IS_BETTER
HIGHER = Direction.HIGHER_IS_BETTER
NEITHER = Direction.NEITHER

#: A stable baseline of 12 points: mean 11, mean moving range 2, so the process limits are
#: 11 ± 5.32 (5.68 to 16.32) and the 2-sigma lines 11 ± 3.5467 (7.4533 to 14.5467). It ends below
#: the mean on a falling step, so a tail that starts above the mean or on a rise starts afresh.
BASELINE = [12.0, 10.0] * 6


def tail_chart(
    tail: list[float], direction: Direction = NEITHER, target: float | None = None
) -> XmRChart:
    """The chart of the baseline followed by `tail`."""
    return xmr(BASELINE + tail, direction=direction, target=target)


def flagged(tail: list[float], rule: Rule) -> list[int]:
    """The indices within `tail` of the points whose (first) rule is `rule`."""
    chart = tail_chart(tail)
    assert all(p.rule is None for p in chart.points[: len(BASELINE)])
    return [i for i, p in enumerate(chart.points[len(BASELINE) :]) if p.rule is rule]


# --- A published example -----------------------------------------------------------------------


def test_published_example_chemical_process_concentration() -> None:
    """Montgomery & Runger, "Applied Statistics and Probability for Engineers" (3rd ed., Wiley,
    2003), section 16-6 "Control charts for individual measurements", Table 16-3 (chemical process
    concentration, 20 observations) and the limits printed under it: x̄ = 99.1, mean moving range
    2.59, UCL = 105.99, LCL = 92.21, and "no indication of an out-of-control condition".

    The book multiplies by 3 / 1.128 from the rounded x̄ and mean moving range; 2.66 from the
    unrounded ones agrees to the two decimals printed.
    """
    concentration = [
        102.0, 94.8, 98.3, 98.4, 102.0, 98.5, 99.0, 97.7, 100.0, 98.1,
        101.3, 98.7, 101.1, 98.4, 97.0, 96.7, 100.3, 101.4, 97.2, 101.0,
    ]  # fmt: skip
    published_ranges = [
        7.2, 3.5, 0.1, 3.6, 3.5, 0.5, 1.3, 2.3, 1.9, 3.2,
        2.6, 2.4, 2.7, 1.4, 0.3, 3.6, 1.1, 4.2, 3.8,
    ]  # fmt: skip

    chart = xmr(concentration, direction=NEITHER, baseline=20)

    (segment,) = chart.segments
    assert [p.moving_range for p in chart.points[1:]] == pytest.approx(published_ranges)
    assert chart.points[0].moving_range is None
    assert segment.mean == pytest.approx(99.1, abs=0.005)
    assert segment.mean_moving_range == pytest.approx(2.59, abs=0.005)
    assert segment.upper_limit == pytest.approx(105.99, abs=0.01)
    assert segment.lower_limit == pytest.approx(92.21, abs=0.01)
    assert (segment.baseline_points, segment.trial) == (20, False)
    assert [p.rule for p in chart.points] == [None] * 20
    assert chart.variation is Variation.COMMON_CAUSE


# --- Limits, baseline and trial limits ---------------------------------------------------------


def test_limits_are_the_mean_plus_and_minus_266_mean_moving_ranges() -> None:
    chart = xmr([10, 12, 11, 15, 12], direction=NEITHER)

    (segment,) = chart.segments
    assert segment.mean == 12
    assert segment.mean_moving_range == 2.5  # (2 + 1 + 4 + 3) / 4
    assert segment.upper_limit == pytest.approx(12 + 6.65)
    assert segment.lower_limit == pytest.approx(12 - 6.65)
    assert segment.upper_2sigma == pytest.approx(12 + 2 / 3 * 6.65)
    assert segment.lower_2sigma == pytest.approx(12 - 2 / 3 * 6.65)
    assert [p.moving_range for p in chart.points] == [None, 2, 1, 4, 3]


def test_limits_come_from_the_first_twelve_points_and_stay_locked() -> None:
    later = [30.0, 2.0, 25.0, 11.0]

    chart = tail_chart(later)

    (segment,) = chart.segments
    assert (segment.start, segment.end, segment.baseline_points, segment.trial) == (
        0,
        16,
        12,
        False,
    )
    assert (segment.mean, segment.mean_moving_range) == (11, 2)
    assert [p.rule for p in chart.points[12:]] == [Rule.BEYOND_LIMIT] * 3 + [None]
    assert [p.moving_range for p in chart.points[12:]] == [20, 28, 23, 14]


def test_a_longer_baseline_takes_more_points() -> None:
    chart = xmr([1, 3] * 10, direction=NEITHER, baseline=15)

    assert chart.segments[0].baseline_points == 15
    assert chart.segments[0].mean == pytest.approx(29 / 15)
    assert not chart.segments[0].trial


@pytest.mark.parametrize(("count", "trial"), [(2, True), (11, True), (12, False), (13, False)])
def test_fewer_points_than_the_baseline_give_trial_limits_from_all_of_them(
    count: int, trial: bool
) -> None:
    values = [float(i % 3) for i in range(count)]

    (segment,) = xmr(values, direction=NEITHER).segments

    used = min(count, 12)
    assert segment.trial is trial
    assert segment.baseline_points == used
    assert segment.mean == pytest.approx(sum(values[:used]) / used)
    assert segment.has_limits


@pytest.mark.parametrize("baseline", [0, 1])
def test_a_baseline_needs_two_points(baseline: int) -> None:
    with pytest.raises(ValueError, match="at least 2 points"):
        xmr([1, 2, 3], direction=NEITHER, baseline=baseline)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_values_must_be_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        xmr([1, bad, 3], direction=NEITHER)


# --- The rules, each alone, at its threshold ---------------------------------------------------


def test_beyond_a_limit_means_strictly_beyond() -> None:
    segment = tail_chart([]).segments[0]
    upper, lower = segment.upper_limit, segment.lower_limit

    assert flagged([upper], Rule.BEYOND_LIMIT) == []
    assert flagged([lower], Rule.BEYOND_LIMIT) == []
    assert flagged([math.nextafter(upper, math.inf)], Rule.BEYOND_LIMIT) == [0]
    assert flagged([math.nextafter(lower, -math.inf)], Rule.BEYOND_LIMIT) == [0]


def test_a_shift_is_seven_points_on_one_side_of_the_mean() -> None:
    above = [11.5, 11.2] * 3 + [11.5]  # 7 points above the mean of 11, within the 2-sigma lines

    assert flagged(above, Rule.SHIFT) == list(range(7))
    assert flagged(above[:6], Rule.SHIFT) == []
    below = [11.0] + [10.5, 10.8] * 3 + [10.5]  # on the mean, then 7 below it
    assert flagged(below, Rule.SHIFT) == list(range(1, 8))
    assert flagged(below[:7], Rule.SHIFT) == []


def test_a_point_exactly_on_the_mean_breaks_a_shift() -> None:
    run = [11.5, 11.2, 11.5, 11.2, 11.5, 11.2, 11.3, 11.5]

    assert flagged(run, Rule.SHIFT) == list(range(8))
    assert flagged([*run[:6], 11.0, *run[7:]], Rule.SHIFT) == []


def test_a_trend_is_seven_points_each_rising_or_each_falling() -> None:
    rising = [9.5, 10.0, 10.5, 11.0, 11.5, 12.0, 12.5]  # across the mean: no shift

    assert flagged(rising, Rule.TREND) == list(range(7))
    assert flagged(rising[1:], Rule.TREND) == []  # 10 after the baseline's 10: 6 rising points
    falling = rising[::-1]  # after the baseline's 10, 12.5 is a rise: the fall starts there
    assert flagged(falling, Rule.TREND) == list(range(7))
    assert flagged(falling[:6], Rule.TREND) == []


def test_two_equal_values_in_a_row_break_a_trend() -> None:
    rising = [9.5, 10.0, 10.5, 11.0, 11.5, 12.0, 12.5, 13.0]

    assert flagged(rising, Rule.TREND) == list(range(8))
    assert flagged([*rising[:3], 10.5, *rising[3:]], Rule.TREND) == []


def test_two_of_three_points_beyond_the_same_2sigma_line() -> None:
    # The 2-sigma lines are 7.45 and 14.55; the process limits 5.68 and 16.32.
    assert flagged([15.0, 11.0, 15.0], Rule.TWO_OF_THREE) == [0, 2]
    assert flagged([7.0, 11.0, 7.0], Rule.TWO_OF_THREE) == [0, 2]
    assert flagged([15.0, 15.0], Rule.TWO_OF_THREE) == [0, 1]
    assert flagged([15.0, 11.0, 11.0, 15.0], Rule.TWO_OF_THREE) == []  # not within three
    assert flagged([15.0, 7.0], Rule.TWO_OF_THREE) == []  # not the same line
    assert flagged([15.0, 11.0], Rule.TWO_OF_THREE) == []


def test_two_of_three_the_third_point_may_lie_across_the_mean() -> None:
    """Our choice (Western Electric's rule); NHSRplotthedots and abspc would not flag these."""
    assert flagged([15.0, 9.0, 15.0], Rule.TWO_OF_THREE) == [0, 2]


def test_two_of_three_counts_a_point_beyond_the_process_limit() -> None:
    """Our choice: 17 is beyond the upper limit, so also beyond the upper 2-sigma line."""
    chart = tail_chart([15.0, 17.0])

    first, second = chart.points[12:]
    assert first.rules == (Rule.TWO_OF_THREE,)
    assert second.rules == (Rule.BEYOND_LIMIT, Rule.TWO_OF_THREE)
    assert flagged([15.0, 13.0], Rule.TWO_OF_THREE) == []


def test_a_point_takes_the_first_rule_that_applies_and_its_side() -> None:
    """A rising trend inside a run below the mean: the shift comes first, so its points are low."""
    tail = [11.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5]  # on the mean, then 7 rising below it

    points = tail_chart(tail, LOWER).points[12:]

    assert points[0].rule is None
    assert points[1].rules == (Rule.SHIFT, Rule.TREND, Rule.TWO_OF_THREE)
    assert {p.rule for p in points[1:]} == {Rule.SHIFT}
    assert {p.signal for p in points[1:]} == {Signal.IMPROVEMENT}


def test_a_trend_takes_the_side_of_its_direction_not_of_the_mean() -> None:
    rising = [9.5, 10.0, 10.5, 11.0, 11.5, 12.0, 12.5]

    points = tail_chart(rising, LOWER).points[12:]

    assert points[0].value < 11 and points[0].rule is Rule.TREND
    assert {p.signal for p in points} == {Signal.CONCERN}


def test_a_peak_between_two_trends_takes_the_direction_of_the_first() -> None:
    rising = [8.5, 9.5, 10.5, 11.5, 12.5, 13.5, 14.0]  # across the mean, within the 2-sigma lines
    falling = [13.0, 12.0, 11.0, 10.0, 9.0, 8.0]

    points = tail_chart(rising + falling, LOWER).points[12:]

    assert {p.rule for p in points} == {Rule.TREND}
    assert [p.signal for p in points] == [Signal.CONCERN] * 7 + [Signal.IMPROVEMENT] * 6


def test_every_point_of_a_long_run_is_flagged() -> None:
    above = [11.5, 11.2] * 6  # 12 points above the mean

    assert flagged(above, Rule.SHIFT) == list(range(12))


# --- Changes: segments with their own limits ---------------------------------------------------


def test_each_segment_has_its_own_mean_and_limits() -> None:
    before, after = [10.0, 12.0] * 6, [30.0, 34.0] * 6

    chart = xmr(before + after, direction=LOWER, changes=[12])

    first, second = chart.segments
    assert (first.start, first.end, first.mean, first.mean_moving_range) == (0, 12, 11, 2)
    assert (second.start, second.end, second.mean, second.mean_moving_range) == (12, 24, 32, 4)
    assert [p.segment for p in chart.points] == [0] * 12 + [1] * 12
    assert [p.rule for p in chart.points] == [None] * 24
    assert chart.points[12].moving_range is None  # 12 → 30 belongs to neither segment
    unchanged = xmr(before + after, direction=LOWER)
    assert all(p.rule is Rule.BEYOND_LIMIT for p in unchanged.points[12:])


def test_runs_and_trends_do_not_cross_a_change() -> None:
    rising = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]

    assert all(Rule.TREND in p.rules for p in xmr(rising, direction=NEITHER).points)
    split = xmr(rising, direction=NEITHER, changes=[4])
    assert [p.rule for p in split.points] == [None] * 8
    assert [s.mean for s in split.segments] == [2.5, 6.5]


def test_a_short_last_segment_has_trial_limits() -> None:
    chart = xmr([10.0, 12.0] * 8 + [20.0, 21.0, 19.0], direction=NEITHER, changes=[16])

    assert [(s.baseline_points, s.trial) for s in chart.segments] == [(12, False), (3, True)]
    assert chart.segments[1].mean == 20


@pytest.mark.parametrize("changes", [[12, 12], [0, 12], [12, 24, 40], [-3, 12], [99, 12]])
def test_changes_at_the_start_beyond_the_end_or_repeated_are_ignored(changes: list[int]) -> None:
    values = [10.0, 12.0] * 12

    chart = xmr(values, direction=NEITHER, changes=changes)

    assert chart == xmr(values, direction=NEITHER, changes=[12])
    assert len(chart.segments) == 2


def test_changes_may_come_in_any_order() -> None:
    values = [10.0, 12.0] * 12

    assert xmr(values, direction=NEITHER, changes=[18, 6]) == xmr(
        values, direction=NEITHER, changes=[6, 18]
    )


def test_a_change_must_be_an_index() -> None:
    with pytest.raises(TypeError):
        xmr([1.0, 2.0, 3.0], direction=NEITHER, changes=[1.5])  # type: ignore[list-item]


def test_a_one_point_segment_has_no_limits() -> None:
    chart = xmr([10.0, 12.0] * 6 + [40.0], direction=LOWER, changes=[12], target=50)

    last = chart.segments[-1]
    assert not last.has_limits
    assert (last.baseline_points, last.trial, last.mean, last.mean_moving_range) == (1, True, 40, 0)
    assert last.upper_limit == last.lower_limit == 40
    assert chart.points[-1].rule is None
    assert (chart.variation, chart.assurance) == (None, None)


# --- Signals and the icons ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "high", "low"),
    [
        (LOWER, Signal.CONCERN, Signal.IMPROVEMENT),
        (HIGHER, Signal.IMPROVEMENT, Signal.CONCERN),
        (NEITHER, Signal.NEUTRAL, Signal.NEUTRAL),
    ],
)
def test_the_signal_depends_on_the_direction(
    direction: Direction, high: Signal, low: Signal
) -> None:
    chart = tail_chart([11.0, 30.0, 11.0, -10.0, 11.0], direction)

    assert [p.signal for p in chart.points[12:]] == [None, high, None, low, None]
    assert all(p.signal is None for p in chart.points[:12])


@pytest.mark.parametrize(
    ("direction", "last", "variation"),
    [
        (LOWER, 30.0, Variation.CONCERN_HIGH),
        (LOWER, -10.0, Variation.IMPROVEMENT_LOW),
        (HIGHER, 30.0, Variation.IMPROVEMENT_HIGH),
        (HIGHER, -10.0, Variation.CONCERN_LOW),
        (NEITHER, 30.0, Variation.NEUTRAL_HIGH),
        (NEITHER, -10.0, Variation.NEUTRAL_LOW),
        (LOWER, 11.5, Variation.COMMON_CAUSE),
    ],
)
def test_the_variation_icon_is_that_of_the_latest_point(
    direction: Direction, last: float, variation: Variation
) -> None:
    assert tail_chart([30.0, 11.0, last], direction).variation is variation


def test_the_variation_icon_of_a_trend_follows_its_direction() -> None:
    falling = [12.5, 12.0, 11.5, 11.0, 10.5, 10.0, 9.5]

    assert tail_chart(falling, HIGHER).variation is Variation.CONCERN_LOW
    assert tail_chart(falling[::-1], HIGHER).variation is Variation.IMPROVEMENT_HIGH


@pytest.mark.parametrize(
    ("direction", "target", "assurance"),
    [
        # The limits are 5.68 and 16.32.
        (LOWER, 20.0, Assurance.PASSING),
        (LOWER, 2.0, Assurance.FAILING),
        (LOWER, 11.0, Assurance.HIT_AND_MISS),
        (HIGHER, 2.0, Assurance.PASSING),
        (HIGHER, 20.0, Assurance.FAILING),
        (HIGHER, 11.0, Assurance.HIT_AND_MISS),
        (NEITHER, 20.0, None),
        (LOWER, None, None),
    ],
)
def test_the_assurance_icon_places_the_target_against_the_limits(
    direction: Direction, target: float | None, assurance: Assurance | None
) -> None:
    assert tail_chart([], direction, target=target).assurance is assurance


@pytest.mark.parametrize("direction", [LOWER, HIGHER])
def test_a_target_exactly_on_a_limit_is_hit_and_miss(direction: Direction) -> None:
    segment = tail_chart([]).segments[0]

    for limit in (segment.upper_limit, segment.lower_limit):
        assert tail_chart([], direction, target=limit).assurance is Assurance.HIT_AND_MISS


def test_the_assurance_icon_uses_the_last_segment() -> None:
    values = [30.0, 34.0] * 6 + [10.0, 12.0] * 6  # improved from around 32 to around 11

    chart = xmr(values, direction=LOWER, changes=[12], target=20)

    assert chart.assurance is Assurance.PASSING
    assert xmr(values[:12], direction=LOWER, target=20).assurance is Assurance.FAILING


# --- Edge cases --------------------------------------------------------------------------------


def test_an_empty_series() -> None:
    chart = xmr([], direction=LOWER, target=20)

    assert chart == XmRChart((), (), LOWER, None, None, 20)


def test_one_point() -> None:
    chart = xmr([7.5], direction=LOWER, target=20)

    assert chart.points == (Point(7.5, 0, None, None, None),)
    assert not chart.segments[0].has_limits
    assert (chart.variation, chart.assurance) == (None, None)


def test_two_points_have_trial_limits() -> None:
    chart = xmr([7.5, 8.5], direction=LOWER, target=20)

    (segment,) = chart.segments
    assert segment.has_limits and segment.trial
    assert segment.upper_limit == pytest.approx(8 + LIMIT_FACTOR)
    assert (chart.variation, chart.assurance) == (Variation.COMMON_CAUSE, Assurance.PASSING)


def test_all_equal_values_have_limits_on_the_mean_and_no_signal() -> None:
    chart = xmr([25.0] * 15, direction=LOWER)

    (segment,) = chart.segments
    assert segment.mean_moving_range == 0
    lines = {segment.upper_limit, segment.lower_limit, segment.upper_2sigma, segment.lower_2sigma}
    assert lines == {25}
    assert [p.rule for p in chart.points] == [None] * 15
    assert chart.variation is Variation.COMMON_CAUSE
    later = xmr([25.0] * 15 + [25.5], direction=LOWER)
    assert later.points[-1].rule is Rule.BEYOND_LIMIT


def test_a_lower_limit_below_zero_is_not_clipped() -> None:
    (segment,) = xmr([0.0, 5.0, 0.0, 5.0], direction=LOWER).segments

    assert segment.lower_limit == pytest.approx(2.5 - LIMIT_FACTOR * 5)


# --- Against abspc, an independent implementation ----------------------------------------------
#
# abspc 1.1.0 (Aneurin Bevan University Health Board) follows MDC with NHSRplotthedots' rules, with
# these differences in choice, each accounted for below:
# - limits use 3 / 1.128 (2.6596) where we use MDC's 2.66: we compare the mean moving range it
#   implies, and give it our own limits when comparing the rules;
# - its shift is 8 points and its trend 6 (`detect_special_causes` fixes them); the rule
#   functions it calls, `_rule2_shift` and `_rule3_trend`, take the length, and with 7 must agree
#   with us (a test checks that the public function flags what those functions do);
# - its 2-of-3 (`_rule4_two_in_three`) counts only points between a 2-sigma line and its limit,
#   and asks all three points to be on one side of the mean: given process limits at infinity
#   the first difference goes, and every point we flag beyond that must have the third point off
#   its side of the mean;
# - neither screens large moving ranges;
# - its assurance icon is inclusive (a target on a limit passes or fails); ours is strict;
# - its variation icon reads the latest flagged point, by its side of the mean; ours the last
#   point, a trend by its direction.

THREE_OVER_D2 = 3 / 1.128

ASSURANCES = {
    "pass": Assurance.PASSING,
    "fail": Assurance.FAILING,
    "hit_or_miss": Assurance.HIT_AND_MISS,
}
VARIATIONS = {
    "common_cause": Variation.COMMON_CAUSE,
    "improvement_high": Variation.IMPROVEMENT_HIGH,
    "improvement_low": Variation.IMPROVEMENT_LOW,
    "concern_high": Variation.CONCERN_HIGH,
    "concern_low": Variation.CONCERN_LOW,
}


def abspc_frame(chart: XmRChart, start: int, end: int) -> pd.DataFrame:
    """Points start … end - 1 with our centre line and lines, as abspc's columns."""
    segments = [chart.segments[p.segment] for p in chart.points[start:end]]
    return pd.DataFrame(
        {
            "value": [p.value for p in chart.points[start:end]],
            "mean": [s.mean for s in segments],
            "ucl": [s.upper_limit for s in segments],
            "lcl": [s.lower_limit for s in segments],
            "uwl": [s.upper_2sigma for s in segments],
            "lwl": [s.lower_2sigma for s in segments],
        }
    )


def abspc_rules(chart: XmRChart) -> pd.DataFrame:
    """abspc's public rule columns for every point, run segment by segment as ours are."""
    return pd.concat(
        [abspc.detect_special_causes(abspc_frame(chart, s.start, s.end)) for s in chart.segments],
        ignore_index=True,
    )


def indices(mask: object) -> set[int]:
    return {int(i) for i in np.flatnonzero(np.asarray(mask, dtype=bool))}


def ours(chart: XmRChart, rule: Rule) -> set[int]:
    return {i for i, p in enumerate(chart.points) if rule in p.rules}


def their_flags(chart: XmRChart) -> dict[str, set[int]]:
    """The points each of abspc's rule functions flags, given our segments and lines, as
    `detect_special_causes` calls them (shift 8, trend 6) and set to our choices."""
    found: dict[str, set[int]] = {}
    for s in chart.segments:
        values = np.array([p.value for p in chart.points[s.start : s.end]])
        mean, upper, lower, upper_2, lower_2, inf = (
            np.full(len(values), line)
            for line in (
                s.mean,
                s.upper_limit,
                s.lower_limit,
                s.upper_2sigma,
                s.lower_2sigma,
                math.inf,
            )
        )
        rules = {
            "rule1": abspc._rule1_astronomical(values, upper, lower),
            "rule2": abspc._rule2_shift(values, mean),
            "rule3": abspc._rule3_trend(values),
            "rule4": abspc._rule4_two_in_three(values, mean, upper, lower, upper_2, lower_2),
            "shift of 7": abspc._rule2_shift(values, mean, run_length=7),
            "trend of 7": abspc._rule3_trend(values, run_length=7),
            "rule4 counting all": abspc._rule4_two_in_three(
                values, mean, inf, -inf, upper_2, lower_2
            ),
        }
        for name, mask in rules.items():
            found.setdefault(name, set()).update(s.start + i for i in indices(mask))
    return found


def random_series(rng: random.Random) -> list[float]:
    """Noise with shifts, ramps, outliers, flat stretches and (rounded) ties, 2 to 40 points."""
    length = rng.randint(2, 40)
    level, spread = rng.uniform(-20, 60), rng.choice([0.5, 1.0, 4.0])
    values: list[float] = []
    while len(values) < length:
        kind = rng.random()
        if kind < 0.45:
            values += [rng.gauss(level, spread) for _ in range(rng.randint(1, 6))]
        elif kind < 0.65:
            level += rng.choice([-1, 1]) * rng.uniform(1, 3) * spread
        elif kind < 0.8:
            step = rng.choice([-1, 1]) * rng.uniform(0.2, 1) * spread
            values += [level + step * k for k in range(rng.randint(4, 9))]
        elif kind < 0.9:
            values.append(level + rng.choice([-1, 1]) * rng.uniform(3, 8) * spread)
        else:
            values += [level] * rng.randint(1, 4)
    values = values[:length]
    if rng.random() < 0.3:
        values = [float(round(v)) for v in values]
    return values


@pytest.fixture(scope="module")
def compared() -> list[tuple[XmRChart, dict[str, set[int]]]]:
    """300 seeded random charts (up to two changes, a direction, a target) and abspc's flags."""
    rng = random.Random(2026)
    pairs = []
    for _ in range(300):
        values = random_series(rng)
        changes = rng.sample(range(1, len(values)), k=min(rng.randint(0, 2), len(values) - 1))
        direction = rng.choice([LOWER, HIGHER])
        target = rng.uniform(min(values) - 5, max(values) + 5)
        chart = xmr(values, direction=direction, changes=changes, target=target)
        pairs.append((chart, their_flags(chart)))
    return pairs


def test_abspc_applies_the_rule_functions_we_call(
    compared: list[tuple[XmRChart, dict[str, set[int]]]],
) -> None:
    """Its public `detect_special_causes` flags what its rule functions do, so calling them
    (faster, and they take the run lengths) compares us with abspc itself."""
    for chart, theirs in compared[:30]:
        public = abspc_rules(chart)
        for rule in ("rule1", "rule2", "rule3", "rule4"):
            assert indices(public[rule]) == theirs[rule]


def test_limits_agree_with_abspc_over_random_series() -> None:
    """abspc's limits from all points of a series, against ours with a baseline of all of them."""
    rng = random.Random(2026)
    for _ in range(300):
        values = random_series(rng)
        (segment,) = xmr(values, direction=NEITHER, baseline=len(values)).segments
        theirs = abspc.calculate_control_limits(pd.DataFrame({"value": values}), "XmR").iloc[0]

        assert segment.mean == pytest.approx(theirs["mean"], rel=1e-12, abs=1e-12)
        implied = (theirs["ucl"] - theirs["mean"]) / THREE_OVER_D2
        assert segment.mean_moving_range == pytest.approx(implied, rel=1e-9, abs=1e-9)
        implied_2sigma = (theirs["uwl"] - theirs["mean"]) / (2 / 3 * THREE_OVER_D2)
        assert segment.mean_moving_range == pytest.approx(implied_2sigma, rel=1e-9, abs=1e-9)
        assert segment.upper_limit == pytest.approx(segment.mean + 2.66 * implied, abs=1e-9)


def test_the_rules_agree_with_abspc_over_random_series(
    compared: list[tuple[XmRChart, dict[str, set[int]]]],
) -> None:
    """Each rule against abspc's, run on our segments and lines, with its choices accounted for."""
    differences = {"shift of 7": 0, "trend of 6": 0, "third point across the mean": 0}
    for chart, theirs in compared:
        # A point beyond a process limit: defined the same way.
        assert ours(chart, Rule.BEYOND_LIMIT) == theirs["rule1"]

        # Shift: abspc's 8 points flag a subset of our 7; its rule set to 7 flags the same.
        shift = ours(chart, Rule.SHIFT)
        assert theirs["rule2"] <= shift
        assert shift == theirs["shift of 7"]
        differences["shift of 7"] += len(shift - theirs["rule2"])

        # Trend: abspc's 6 points flag a superset of our 7; its rule set to 7 flags the same.
        trend = ours(chart, Rule.TREND)
        assert trend <= theirs["rule3"]
        assert trend == theirs["trend of 7"]
        differences["trend of 6"] += len(theirs["rule3"] - trend)

        # 2 of 3: abspc's rule flags a subset of ours, and so does it when points beyond a
        # process limit count (limits at infinity). What we flag beyond that has the third
        # point of every qualifying three off its side of the mean.
        two_of_three = ours(chart, Rule.TWO_OF_THREE)
        assert theirs["rule4"] <= theirs["rule4 counting all"] <= two_of_three
        for i in two_of_three - theirs["rule4 counting all"]:
            assert third_point_off_its_side(chart, i)
            differences["third point across the mean"] += 1

    # The random series meet each difference, so the checks above are not empty.
    assert all(differences.values()), differences


def third_point_off_its_side(chart: XmRChart, i: int) -> bool:
    """Whether every three around point `i` with 2 beyond its 2-sigma line has a point not
    strictly on its side of the mean (which abspc and NHSRplotthedots ask for)."""
    segment = chart.segments[chart.points[i].segment]
    high = chart.points[i].value > segment.mean

    def beyond(p: Point) -> bool:
        return p.value > segment.upper_2sigma if high else p.value < segment.lower_2sigma

    def on_its_side(p: Point) -> bool:
        return p.value > segment.mean if high else p.value < segment.mean

    windows = [
        chart.points[first : first + 3]
        for first in range(max(segment.start, i - 2), min(i, segment.end - 3) + 1)
    ]
    qualifying = [w for w in windows if sum(map(beyond, w)) >= 2]
    return bool(qualifying) and all(not all(map(on_its_side, w)) for w in qualifying)


def test_the_icons_agree_with_abspc_where_defined_alike(
    compared: list[tuple[XmRChart, dict[str, set[int]]]],
) -> None:
    counted = {"variation": 0, "assurance": 0}
    for chart, theirs in compared:
        if not chart.segments[-1].has_limits:
            continue
        frame = abspc_frame(chart, 0, len(chart.points))
        flagged = set().union(*(theirs[rule] for rule in ("rule1", "rule2", "rule3", "rule4")))
        frame["special_cause"] = [i in flagged for i in range(len(chart.points))]
        improvement = "high" if chart.direction is HIGHER else "low"

        # Assurance from the last row, so the last segment; random targets never sit on a limit.
        their_assurance = abspc.determine_assurance_type(frame, chart.target, improvement)
        assert chart.assurance is ASSURANCES[their_assurance]
        counted["assurance"] += 1

        # Variation: the same when neither flags anything at the end, or when both flag the last
        # point and we do by a rule that sides by the mean (not a trend).
        last = len(chart.points) - 1
        last_rule = chart.points[last].rule
        neither_flags = last_rule is None and not flagged
        both_flag_it = last_rule not in (None, Rule.TREND) and last in flagged
        if neither_flags or both_flag_it:
            their_variation = abspc.determine_variation_type(
                frame, improvement_direction=improvement
            )
            assert chart.variation is VARIATIONS[their_variation]
            counted["variation"] += 1

    assert min(counted.values()) > 50, counted


# Each documented difference from abspc, on a series built to show it.


def test_known_difference_a_shift_of_seven_points_which_abspc_does_not_flag() -> None:
    chart = tail_chart([11.5, 11.2] * 3 + [11.5])

    assert ours(chart, Rule.SHIFT) == set(range(12, 19))
    assert indices(abspc_rules(chart)["rule2"]) == set()


def test_known_difference_a_trend_of_six_points_which_abspc_flags() -> None:
    chart = tail_chart([10.0, 10.5, 11.0, 11.5, 12.0, 12.5])

    assert ours(chart, Rule.TREND) == set()
    assert indices(abspc_rules(chart)["rule3"]) == set(range(12, 18))


def test_known_difference_two_of_three_beyond_the_limit_or_across_the_mean() -> None:
    beyond_the_limit = tail_chart([15.0, 17.0])
    across_the_mean = tail_chart([15.0, 9.0, 15.0])

    assert ours(beyond_the_limit, Rule.TWO_OF_THREE) == {12, 13}
    assert indices(abspc_rules(beyond_the_limit)["rule4"]) == set()
    assert ours(across_the_mean, Rule.TWO_OF_THREE) == {12, 14}
    assert indices(abspc_rules(across_the_mean)["rule4"]) == set()


def test_known_difference_a_target_on_a_limit() -> None:
    chart = tail_chart([], LOWER)
    target = chart.segments[0].upper_limit
    frame = abspc_frame(chart, 0, 12)

    assert tail_chart([], LOWER, target=target).assurance is Assurance.HIT_AND_MISS
    assert abspc.determine_assurance_type(frame, target, "low") == "pass"


def test_neither_screens_a_large_moving_range() -> None:
    """NHSRplotthedots' vignette "Deviations from Excel defaults" series: by default that package
    leaves out the moving ranges next to the 10 (3.267 × the mean moving range or more); the MDC
    Excel tools keep them, and so do abspc and we."""
    values = [1.0, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]

    (segment,) = xmr(values, direction=NEITHER, baseline=len(values)).segments
    theirs = abspc.calculate_control_limits(pd.DataFrame({"value": values}), "XmR").iloc[0]

    assert segment.mean_moving_range == pytest.approx((15 * 1 + 8 + 9) / 17)
    assert (theirs["ucl"] - theirs["mean"]) / THREE_OVER_D2 == pytest.approx(
        segment.mean_moving_range
    )
