"""The XmR chart drawing and the Making Data Count icons, read back with an XML parser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import date
from itertools import pairwise

import pytest
from markupsafe import Markup

from portal.measures.chart import (
    BLUE,
    GREY,
    ORANGE,
    PURPLE,
    RED,
    Marker,
    assurance_icon_svg,
    chart_svg,
    numbered_markers,
    variation_icon_svg,
)
from portal.measures.spc import (
    Assurance,
    Direction,
    Point,
    Rule,
    Segment,
    Signal,
    Variation,
    XmRChart,
)

SVG = "{http://www.w3.org/2000/svg}"


# Arrange: charts built by hand, so these tests do not depend on the rules in spc.xmr().


def segment(values: Sequence[float], start: int, end: int, *, trial: bool = False) -> Segment:
    """A segment of `values[start:end]` with limits from the mean moving range, as XmR has them."""
    own = values[start:end]
    mean = sum(own) / len(own)
    ranges = [abs(b - a) for a, b in pairwise(own)]
    mr = sum(ranges) / len(ranges) if ranges else 0.0
    return Segment(
        start=start,
        end=end,
        baseline_points=len(own),
        mean=mean,
        mean_moving_range=mr,
        upper_limit=mean + 2.66 * mr,
        lower_limit=mean - 2.66 * mr,
        upper_2sigma=mean + 2 / 3 * 2.66 * mr,
        lower_2sigma=mean - 2 / 3 * 2.66 * mr,
        trial=trial,
    )


def xmr_chart(
    values: Sequence[float],
    *,
    changes: Sequence[int] = (),
    trial: Sequence[int] = (),
    signals: dict[int, Signal] | None = None,
    target: float | None = None,
) -> XmRChart:
    """A chart of `values`, a new segment at each index in `changes`; `trial` lists trial segments."""
    bounds = [0, *changes, len(values)] if values else []
    segments = tuple(
        segment(values, a, b, trial=i in trial) for i, (a, b) in enumerate(pairwise(bounds))
    )
    signals = signals or {}
    points = tuple(
        Point(
            value=v,
            segment=next(k for k, s in enumerate(segments) if s.start <= i < s.end),
            moving_range=None if i == 0 else abs(v - values[i - 1]),
            rule=Rule.BEYOND_LIMIT if i in signals else None,
            signal=signals.get(i),
        )
        for i, v in enumerate(values)
    )
    return XmRChart(
        points=points,
        segments=segments,
        direction=Direction.LOWER_IS_BETTER,
        variation=None,
        assurance=None,
        target=target,
    )


def consecutive_months(count: int, first: date = date(2008, 4, 1)) -> list[date]:
    start = first.year * 12 + first.month - 1
    return [date((start + i) // 12, (start + i) % 12 + 1, 1) for i in range(count)]


def cs_rates(count: int) -> list[float]:
    """A total CS rate wobbling around 25%."""
    wobble = [0.0, 0.8, -0.6, 1.1, -0.9, 0.3, -0.2, 0.7, -1.0, 0.5, -0.4, 0.9]
    return [round(25 + wobble[i % len(wobble)], 1) for i in range(count)]


# Read the drawing back.


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def point_circles(root: ET.Element) -> list[ET.Element]:
    (group,) = with_class(root, "portal-spc-chart__points")
    return group.findall(f"{SVG}circle")


def polylines(root: ET.Element) -> list[list[tuple[float, float]]]:
    (group,) = with_class(root, "portal-spc-chart__line")
    return [
        [tuple(map(float, xy.split(","))) for xy in line.get("points", "").split()]
        for line in group.findall(f"{SVG}polyline")
    ]


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def x_axis_y(root: ET.Element) -> float:
    (axis,) = with_class(root, "portal-spc-chart__x-axis")
    return float(axis.find(f"{SVG}line").get("y1"))


# Every drawing: hidden from assistive technology, sized by its container, no inline styles.


def drawings() -> list[object]:
    """Each drawing as a function, so that one that fails to draw fails its own test."""
    values = cs_rates(24)
    markers = [
        Marker(date(2009, 1, 1), "Network event: Normal birth", "event"),
        Marker(date(2009, 2, 1), "Change: new guideline", "change"),
    ]
    return [
        pytest.param(
            lambda: chart_svg(xmr_chart(values, changes=[12], trial=[1]), consecutive_months(24)),
            id="chart with a trial segment",
        ),
        pytest.param(
            lambda: chart_svg(
                xmr_chart(values, target=22), consecutive_months(24), markers=markers
            ),
            id="chart with a target and markers",
        ),
        pytest.param(lambda: chart_svg(xmr_chart([]), []), id="empty chart"),
        *(pytest.param(lambda v=v: variation_icon_svg(v), id=v.name) for v in Variation),
        *(pytest.param(lambda a=a: assurance_icon_svg(a), id=a.name) for a in Assurance),
    ]


@pytest.mark.parametrize("draw", drawings())
def test_every_drawing_is_well_formed_hidden_svg_without_inline_styles(
    draw: Callable[[], Markup],
) -> None:
    root = parse(draw())

    assert root.tag == f"{SVG}svg"
    assert root.get("aria-hidden") == "true"
    assert root.get("focusable") == "false"
    assert root.get("viewBox")
    assert root.get("class")
    # The site's Content Security Policy forbids inline styles.
    assert all(e.get("style") is None for e in root.iter())
    assert not list(root.iter(f"{SVG}style"))


def test_the_chart_fits_its_container_rather_than_a_fixed_width() -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(24)), consecutive_months(24)))

    assert root.get("viewBox") == "0 0 720 320"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("preserveAspectRatio") == "xMidYMid meet"


def test_text_is_large_enough_to_read_when_scaled_to_a_phone() -> None:
    months = consecutive_months(24)
    markers = [
        Marker(months[3], "Network event: Promoting normal birth", "event"),
        Marker(months[12], "Change: new guideline", "change"),
    ]
    chart = xmr_chart(cs_rates(24), changes=[12], trial=[1])
    root = parse(chart_svg(chart, months, markers=markers, unit="births"))

    sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
    assert sizes
    assert min(sizes) >= 14  # 7 px or more at 350 px wide


# Points and their colours.


def test_there_is_one_circle_for_each_point() -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(30)), consecutive_months(30)))

    assert len(point_circles(root)) == 30


def test_points_are_coloured_as_making_data_count_colours_them() -> None:
    values = cs_rates(12)
    signals = {3: Signal.CONCERN, 5: Signal.IMPROVEMENT, 7: Signal.NEUTRAL}
    root = parse(chart_svg(xmr_chart(values, signals=signals), consecutive_months(12)))

    fills = [c.get("fill") for c in point_circles(root)]
    assert fills[3] == ORANGE == "#e46c0a"
    assert fills[5] == BLUE == "#005eb8"
    assert fills[7] == PURPLE == "#330072"
    assert fills[0] == GREY == "#768692"
    assert {fills[i] for i in range(12) if i not in signals} == {GREY}


def test_special_cause_points_are_larger_so_colour_is_not_the_only_difference() -> None:
    root = parse(
        chart_svg(xmr_chart(cs_rates(6), signals={2: Signal.CONCERN}), consecutive_months(6))
    )

    radii = [float(c.get("r")) for c in point_circles(root)]
    assert radii[2] > max(radii[:2] + radii[3:])


def test_points_sit_at_their_months_so_a_missing_month_leaves_a_gap() -> None:
    months = [date(2009, 1, 1), date(2009, 2, 1), date(2009, 5, 1), date(2009, 6, 1)]
    root = parse(chart_svg(xmr_chart([25, 26, 24, 25]), months))

    xs = [float(c.get("cx")) for c in point_circles(root)]
    month_step = xs[1] - xs[0]
    assert xs[2] - xs[1] == pytest.approx(3 * month_step, abs=0.2)
    assert xs[3] - xs[2] == pytest.approx(month_step, abs=0.2)


# The data line.


def test_the_line_runs_unbroken_through_consecutive_months() -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(12)), consecutive_months(12)))

    (line,) = polylines(root)
    assert len(line) == 12


def test_a_month_without_data_breaks_the_line() -> None:
    months = consecutive_months(5) + consecutive_months(5, first=date(2008, 10, 1))
    # September 2008 is missing: August and October are two months apart.
    assert months[4] == date(2008, 8, 1)
    root = parse(chart_svg(xmr_chart(cs_rates(10)), months))

    assert [len(line) for line in polylines(root)] == [5, 5]


# Segments: centre line and limits.


def test_each_segment_has_its_lines_only_across_its_own_months() -> None:
    values = [26, 27, 25, 26, 27, 26, 23, 22, 24, 23, 22, 23]
    root = parse(chart_svg(xmr_chart(values, changes=[6]), consecutive_months(12)))
    xs = [float(c.get("cx")) for c in point_circles(root)]

    means = with_class(root, "portal-spc-chart__mean")
    assert len(means) == 2
    (first, second) = sorted(means, key=lambda e: float(e.get("x1")))
    assert float(first.get("x1")) < xs[0] and xs[5] < float(first.get("x2")) < xs[6]
    assert xs[5] < float(second.get("x1")) < xs[6] and float(second.get("x2")) > xs[11]
    # Each segment's mean is at its own level.
    assert float(first.get("y1")) < float(second.get("y1"))  # 26.2% is higher on screen
    for role in ("portal-spc-chart__limit", "portal-spc-chart__2sigma"):
        lines = with_class(root, role)
        assert len(lines) == 4
        assert all(float(e.get("x2")) < xs[6] or float(e.get("x1")) > xs[5] for e in lines)


def test_limits_are_dashed_and_2_sigma_lines_dotted_and_lighter() -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(12)), consecutive_months(12)))

    (mean,) = with_class(root, "portal-spc-chart__mean")
    limits = with_class(root, "portal-spc-chart__limit")
    sigmas = with_class(root, "portal-spc-chart__2sigma")
    assert mean.get("stroke-dasharray") is None
    assert {e.get("stroke-dasharray") for e in limits} == {"8 5"}
    assert {e.get("stroke-dasharray") for e in sigmas} == {"1 4"}
    assert {e.get("stroke") for e in sigmas} != {e.get("stroke") for e in limits}


def test_trial_limits_are_drawn_differently_and_named_on_the_chart() -> None:
    values = cs_rates(16)
    trial = parse(chart_svg(xmr_chart(values, changes=[12], trial=[1]), consecutive_months(16)))
    settled = parse(chart_svg(xmr_chart(values, changes=[12]), consecutive_months(16)))

    trial_dashes = {e.get("stroke-dasharray") for e in with_class(trial, "portal-spc-chart__limit")}
    assert trial_dashes == {"8 5", "3 5"}
    assert "trial limits" in texts(trial)
    assert "trial limits" not in texts(settled)


def test_the_y_axis_covers_points_limits_and_target_with_room_to_spare() -> None:
    values = [25, 26, 24, 25, 40, 25, 26]  # one point far above the rest
    root = parse(
        chart_svg(xmr_chart(values, signals={4: Signal.CONCERN}, target=5), consecutive_months(7))
    )
    bottom = x_axis_y(root)

    circles = point_circles(root)
    lines = [e for e in root.iter(f"{SVG}line") if "portal-spc-chart__" in (e.get("class") or "")]
    ys = [float(c.get("cy")) for c in circles] + [float(e.get("y1")) for e in lines]
    assert len(lines) == 6  # mean, two limits, two 2-sigma lines, target
    assert all(0 < y <= bottom for y in ys)
    assert all(float(c.get("cy")) - float(c.get("r")) > 0 for c in circles)
    assert all(float(c.get("cy")) + float(c.get("r")) < bottom for c in circles)
    (target,) = with_class(root, "portal-spc-chart__target")
    assert float(target.get("y1")) < bottom


def test_a_lower_limit_below_zero_is_drawn_at_zero() -> None:
    values = [1, 9, 0, 8, 2, 10, 1]  # a small, jumpy percentage: its lower limit is negative
    chart = xmr_chart(values)
    assert chart.segments[0].lower_limit < 0
    root = parse(chart_svg(chart, consecutive_months(7)))

    lines = with_class(root, "portal-spc-chart__limit") + with_class(
        root, "portal-spc-chart__2sigma"
    )
    lowest = max(float(e.get("y1")) for e in lines)
    assert lowest == x_axis_y(root)
    assert "0%" in texts(root)
    assert not any(t.startswith("-") for t in texts(root))


def test_y_ticks_are_round_numbers_with_the_unit() -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(24)), consecutive_months(24)))

    (axis,) = with_class(root, "portal-spc-chart__y-axis")
    ticks = ["".join(t.itertext()) for t in axis.iter(f"{SVG}text")]
    assert 3 <= len(ticks) <= 6
    assert all(t.endswith("%") for t in ticks)
    numbers = [float(t.removesuffix("%")) for t in ticks]
    steps = {round(b - a, 6) for a, b in pairwise(numbers)}
    assert len(steps) == 1
    assert steps.pop() in {0.5, 1, 2, 5, 10}


def test_a_unit_other_than_percent_is_written_above_the_axis() -> None:
    root = parse(chart_svg(xmr_chart([410, 395, 420, 405]), consecutive_months(4), unit="births"))

    assert "births" in texts(root)
    (axis,) = with_class(root, "portal-spc-chart__y-axis")
    assert not any(t.endswith("%") for t in axis.itertext())


def test_a_target_is_a_red_dashed_line_across_the_chart() -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(12)), consecutive_months(12), target=23))
    without = parse(chart_svg(xmr_chart(cs_rates(12)), consecutive_months(12)))

    (line,) = with_class(root, "portal-spc-chart__target")
    assert line.get("stroke") == RED == "#d5281b"
    assert line.get("stroke-dasharray")
    assert not with_class(without, "portal-spc-chart__target")


def test_the_charts_own_target_is_drawn_when_none_is_passed() -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(12), target=23), consecutive_months(12)))

    assert len(with_class(root, "portal-spc-chart__target")) == 1


# The x axis.


@pytest.mark.parametrize("count", [3, 12, 36, 120])
def test_month_labels_do_not_overlap(count: int) -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(count)), consecutive_months(count)))

    (axis,) = with_class(root, "portal-spc-chart__x-axis")
    names = [t for t in axis.iter(f"{SVG}text") if not "".join(t.itertext()).isdigit()]
    xs = sorted(float(t.get("x")) for t in names)
    assert 2 <= len(xs) <= 12
    assert all(b - a >= 50 for a, b in pairwise(xs))


# Markers: events, stories and changes.


def test_markers_are_numbered_in_month_order() -> None:
    months = consecutive_months(24)
    markers = [
        Marker(date(2009, 6, 1), "Story: Our VBAC clinic", "story"),
        Marker(date(2008, 9, 1), "Network event: Promoting normal birth", "event"),
        Marker(date(2009, 1, 1), "Change: new induction guideline", "change"),
    ]
    root = parse(chart_svg(xmr_chart(cs_rates(24), changes=[9]), months, markers=markers))

    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert sorted(titles) == [
        "1. Network event: Promoting normal birth",
        "2. Change: new induction guideline",
        "3. Story: Our VBAC clinic",
    ]
    assert [n for n, _ in numbered_markers(markers, months)] == [1, 2, 3]
    assert [m.label for _, m in numbered_markers(markers, months)] == [
        "Network event: Promoting normal birth",
        "Change: new induction guideline",
        "Story: Our VBAC clinic",
    ]


def test_events_are_triangles_and_stories_squares_under_the_axis() -> None:
    markers = [
        Marker(date(2008, 9, 1), "Network event: Promoting normal birth", "event"),
        Marker(date(2009, 1, 1), "Story: Our VBAC clinic", "story"),
    ]
    root = parse(chart_svg(xmr_chart(cs_rates(12)), consecutive_months(12), markers=markers))
    axis = x_axis_y(root)

    (event,) = with_class(root, "portal-spc-chart__marker--event")
    (story,) = with_class(root, "portal-spc-chart__marker--story")
    assert event.find(f"{SVG}polygon") is not None
    assert story.find(f"{SVG}rect") is not None
    assert float(story.find(f"{SVG}rect").get("y")) > axis
    assert "".join(event.find(f"{SVG}text").itertext()) == "1"
    assert "".join(story.find(f"{SVG}text").itertext()) == "2"


def test_markers_in_the_same_month_do_not_overlap() -> None:
    same_month = [Marker(date(2008, 9, 1), f"Story {i}", "story") for i in range(3)]
    root = parse(chart_svg(xmr_chart(cs_rates(12)), consecutive_months(12), markers=same_month))

    ys = [
        float(g.find(f"{SVG}rect").get("y")) for g in with_class(root, "portal-spc-chart__marker")
    ]
    assert len(set(ys)) == 3


def test_rows_of_markers_add_height_rather_than_squeeze_the_plot() -> None:
    months = consecutive_months(12)
    same_month = [Marker(months[4], f"Story {i}", "story") for i in range(3)]
    plain = parse(chart_svg(xmr_chart(cs_rates(12)), months))
    marked = parse(chart_svg(xmr_chart(cs_rates(12)), months, markers=same_month))

    assert x_axis_y(marked) == x_axis_y(plain)
    assert marked.get("viewBox") == "0 0 720 392"  # three rows of 24 under the axis


def test_a_change_is_a_vertical_line_where_the_new_segment_begins() -> None:
    months = consecutive_months(12)
    change = Marker(months[6], "Change: continuity of carer", "change")
    root = parse(chart_svg(xmr_chart(cs_rates(12), changes=[6]), months, markers=[change]))
    xs = [float(c.get("cx")) for c in point_circles(root)]

    (group,) = with_class(root, "portal-spc-chart__change")
    line = group.find(f"{SVG}line")
    assert line.get("x1") == line.get("x2")
    assert xs[5] < float(line.get("x1")) < xs[6]
    assert "".join(group.find(f"{SVG}text").itertext()) == "1"


def test_markers_outside_the_charts_months_are_left_out_keeping_the_pages_numbers() -> None:
    months = consecutive_months(12)
    markers = [
        Marker(date(2007, 1, 1), "Network event: before the data", "event"),
        Marker(date(2008, 5, 1), "Network event: Promoting normal birth", "event"),
    ]
    root = parse(chart_svg(xmr_chart(cs_rates(12)), months, markers=markers))

    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    # Numbered among all the markers, as the page lists them: the first is not drawn.
    assert titles == ["2. Network event: Promoting normal birth"]
    assert numbered_markers(markers, months) == [(2, markers[1])]


def test_labels_are_text_never_markup() -> None:
    label = 'Story: <script>alert("x")</script> & "quotes"'
    markup = chart_svg(
        xmr_chart(cs_rates(12)),
        consecutive_months(12),
        markers=[Marker(date(2008, 9, 1), label, "story")],
    )
    root = parse(markup)

    assert not [e for e in root.iter() if e.tag.endswith("script")]
    (title,) = root.iter(f"{SVG}title")
    assert "".join(title.itertext()) == f"1. {label}"
    assert "&lt;script&gt;" in markup and "&amp;" in markup


def test_a_marker_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        Marker(date(2008, 9, 1), "Something", "meeting")


# Output is stable and small.


def test_the_same_chart_gives_the_same_bytes() -> None:
    def draw() -> str:
        markers = [Marker(date(2008, 9, 1), "Network event: Promoting normal birth", "event")]
        chart = xmr_chart(cs_rates(36), changes=[18], signals={4: Signal.CONCERN}, target=24)
        return str(chart_svg(chart, consecutive_months(36), markers=markers))

    assert draw() == draw()


def test_numbers_are_rounded_to_keep_the_drawing_small() -> None:
    values = [25.123456, 26.987654, 24.55555, 25.333333]
    markup = str(chart_svg(xmr_chart(values), consecutive_months(4)))

    coordinates = re.findall(r' (?:x|y|x1|x2|y1|y2|cx|cy|points)="([^"]*)"', markup)
    numbers = [n for value in coordinates for n in re.split(r"[ ,]", value)]
    assert len(numbers) > 50
    assert all(re.fullmatch(r"-?\d+(\.\d)?", n) for n in numbers)


def test_months_must_match_the_points() -> None:
    with pytest.raises(ValueError, match="months"):
        chart_svg(xmr_chart(cs_rates(3)), consecutive_months(2))
    with pytest.raises(ValueError, match="order"):
        chart_svg(xmr_chart(cs_rates(2)), [date(2009, 2, 1), date(2009, 1, 1)])


# Awkward series.


def test_an_empty_chart_says_there_is_no_data_yet() -> None:
    root = parse(chart_svg(xmr_chart([]), []))

    assert texts(root) == ["No data yet"]
    assert root.get("aria-hidden") == "true"


def test_a_single_point_is_drawn() -> None:
    root = parse(chart_svg(xmr_chart([24.5]), [date(2009, 4, 1)]))

    assert len(point_circles(root)) == 1
    assert polylines(root) == []
    (mean,) = with_class(root, "portal-spc-chart__mean")
    assert float(mean.get("x2")) > float(mean.get("x1"))


def test_a_flat_series_still_has_a_y_axis_with_height() -> None:
    root = parse(chart_svg(xmr_chart([25.0] * 12), consecutive_months(12)))

    (axis,) = with_class(root, "portal-spc-chart__y-axis")
    tick_ys = {float(e.get("y1")) for e in axis.iter(f"{SVG}line")}
    assert len(tick_ys) >= 2
    (cy,) = {float(c.get("cy")) for c in point_circles(root)}
    assert min(tick_ys) < cy < x_axis_y(root)


def test_ten_years_of_months_are_drawn() -> None:
    root = parse(chart_svg(xmr_chart(cs_rates(120)), consecutive_months(120)))

    assert len(point_circles(root)) == 120


# Icons.


@pytest.mark.parametrize(
    ("variation", "letter", "colour"),
    [
        (Variation.IMPROVEMENT_HIGH, "H", BLUE),
        (Variation.IMPROVEMENT_LOW, "L", BLUE),
        (Variation.CONCERN_HIGH, "H", ORANGE),
        (Variation.CONCERN_LOW, "L", ORANGE),
        (Variation.NEUTRAL_HIGH, "H", PURPLE),
        (Variation.NEUTRAL_LOW, "L", PURPLE),
    ],
)
def test_special_cause_icons_carry_their_letter_and_colour(
    variation: Variation, letter: str, colour: str
) -> None:
    root = parse(variation_icon_svg(variation))

    assert texts(root) == [letter]
    assert root.find(f"{SVG}circle").get("fill") == colour


def test_the_common_cause_icon_is_a_grey_line_without_a_letter() -> None:
    root = parse(variation_icon_svg(Variation.COMMON_CAUSE))

    assert texts(root) == []
    assert root.find(f"{SVG}circle").get("stroke") == GREY
    assert root.find(f"{SVG}polyline").get("stroke") == GREY


@pytest.mark.parametrize(
    ("assurance", "letter", "colour"),
    [
        (Assurance.PASSING, "P", BLUE),
        (Assurance.FAILING, "F", ORANGE),
        (Assurance.HIT_AND_MISS, "?", GREY),
    ],
)
def test_assurance_icons_carry_their_letter_and_colour(
    assurance: Assurance, letter: str, colour: str
) -> None:
    root = parse(assurance_icon_svg(assurance))

    assert texts(root) == [letter]
    assert root.find(f"{SVG}circle").get("fill") == colour
    assert (root.get("width"), root.get("height")) == ("40", "40")
