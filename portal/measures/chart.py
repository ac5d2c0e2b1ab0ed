"""Server-rendered SVG for an XmR chart, and the Making Data Count variation and assurance icons.

Every drawing here is decoration for sighted readers: the SVG carries `aria-hidden="true"` and the
page beside it gives the same facts in words and in a data table. The drawings use presentation
attributes only (`fill=`, `stroke=` …), never `style`, because the site's Content Security Policy
forbids inline styles. Output is deterministic: the same input gives the same bytes.

Colours. Making Data Count (NHS England) colours special-cause points orange for concern, blue for
improvement and purple where the measure has no better direction, common cause grey, and draws a
target as a red dashed line (its Excel tool; NHS-R Community's NHSRplotthedots, `ptd_spc_colours()`,
takes the same defaults: concern #e46c0a, improvement #00b0f0, neutral #490092, common cause
#a6a6a6, target #de1b1b, dashed). We keep those meanings but use the NHS.UK colour palette
(nhsuk-frontend `core/settings/_colours-palette.scss`) wherever it has the same colour, and
choose shades that reach 3:1 against white (WCAG 2.2, 1.4.11), which MDC's light blue (2.5:1) and
grey (2.4:1), and the palette's own orange #ed8b00 (2.5:1), do not:

| meaning        | colour  | source                                      |
| -------------- | ------- | ------------------------------------------- |
| improvement    | #005eb8 | NHS blue                                    |
| concern        | #e46c0a | MDC orange (3.3:1; NHS orange is too light) |
| neutral        | #330072 | NHS purple                                  |
| common cause   | #768692 | NHS grey-2 (3.8:1)                          |
| target         | #d5281b | NHS red, dashed as MDC draws it             |

Special-cause points are also drawn larger, so colour is not the only difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise

from markupsafe import Markup, escape

from portal.measures.spc import Assurance, Signal, Variation, XmRChart

BLUE = "#005eb8"  # NHS blue: special cause improvement, assurance passing
ORANGE = "#e46c0a"  # MDC orange: special cause concern, assurance failing
PURPLE = "#330072"  # NHS purple: special cause with no better direction
GREY = "#768692"  # NHS grey-2: common cause, the data line, hit and miss
RED = "#d5281b"  # NHS red: target
BLACK = "#212b32"  # NHS black: text and the mean
GREY_1 = "#4c6272"  # NHS grey-1: process limits, secondary text
GREY_3 = "#aeb7bd"  # NHS grey-3: 2-sigma lines, trial limits
GREY_4 = "#d8dde0"  # NHS grey-4: grid lines
DARK_BLUE = "#003087"  # NHS dark blue: change lines, network events
DARK_PINK = "#7c2855"  # NHS dark pink: stories
WHITE = "#ffffff"

SIGNAL_COLOURS: dict[Signal | None, str] = {
    Signal.IMPROVEMENT: BLUE,
    Signal.CONCERN: ORANGE,
    Signal.NEUTRAL: PURPLE,
    None: GREY,
}

MARKER_KINDS = ("event", "story", "change")

FONT = 'font-family="Frutiger W01, Arial, sans-serif"'
TEXT_SIZE = 16  # about 8 px on a 350 px phone, 16 px at full width
SMALL_TEXT_SIZE = 14
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LABEL_STEPS = (1, 2, 3, 6, 12, 24, 60)  # months between x labels, aligned to the calendar
LABEL_SPACING = 56  # viewBox units a two-line "Sep / 2009" label needs
MARKER_ROW = 24  # height of one row of event and story symbols


@dataclass(frozen=True)
class Marker:
    """Something that happened in a month, drawn under the chart: a network event the trust's staff attended, a story the trust published, or a change marked by the trust."""

    month: date  # first day of the month
    label: str  # e.g. "Network event: Promoting normal birth" — shown in a <title> and numbered
    kind: str  # "event" | "story" | "change"

    def __post_init__(self) -> None:
        if self.kind not in MARKER_KINDS:
            raise ValueError(f"marker kind must be one of {MARKER_KINDS}, not {self.kind!r}")


def numbered_markers(markers: Sequence[Marker], months: Sequence[date]) -> list[tuple[int, Marker]]:
    """The markers the chart draws, with their numbers.

    Every marker given is numbered 1, 2, … in month order (markers of the same month keep the
    order they were given in), so that all the charts of a page, and the page's own list, use the
    same numbers; those outside the chart's months are not drawn (it has nowhere to put them).
    """
    if not months:
        return []
    first, last = _month_number(months[0]), _month_number(months[-1])
    ordered = sorted(markers, key=lambda m: _month_number(m.month))  # stable
    return [
        (number, marker)
        for number, marker in enumerate(ordered, start=1)
        if first <= _month_number(marker.month) <= last
    ]


def chart_svg(
    chart: XmRChart,
    months: Sequence[date],
    *,
    unit: str = "%",
    target: float | None = None,
    markers: Sequence[Marker] = (),
    width: int = 720,
    height: int = 320,
) -> Markup:
    """An SVG drawing of `chart`, whose point i belongs to `months[i]`, sized to its container.

    `width` and `height` set the viewBox: text keeps its size in viewBox units, so a smaller width
    gives relatively larger text (a page may draw a second, narrower chart for phones). Each row of
    event and story symbols under the axis adds 24 to the height. `target` defaults to the chart's own. With `unit` "%", tick
    labels end in "%" and the axis stops at 100; any other unit is written above the axis. Lines
    below zero (a lower limit of a rate or count) are drawn at zero when no value is negative.

    A chart with no points gives a short SVG saying "No data yet", so the page's layout does not
    jump; the page's own text says the same to assistive technology.
    """
    if len(months) != len(chart.points):
        raise ValueError(f"{len(chart.points)} points but {len(months)} months")
    numbers = [_month_number(m) for m in months]
    if any(b <= a for a, b in pairwise(numbers)):
        raise ValueError("months must be in order, one point a month at most")
    if not chart.points:
        return _no_data_svg(width)

    target = chart.target if target is None else target
    numbered = numbered_markers(markers, months)
    below = [(n, m) for n, m in numbered if m.kind != "change"]
    changes = [(n, m) for n, m in numbered if m.kind == "change"]

    frame = _Frame.fit(chart, numbers, unit=unit, target=target, width=width, height=height)
    rows = _marker_rows(frame, below)
    # Rows of events and stories add to the height rather than squeeze the plot.
    extra = (max(rows.values(), default=-1) + 1) * MARKER_ROW
    frame = replace(frame, height=height + extra, bottom_margin=frame.bottom_margin + extra)

    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="portal-spc-chart"'
        f' viewBox="0 0 {width} {frame.height}"'
        ' width="100%" preserveAspectRatio="xMidYMid meet" aria-hidden="true" focusable="false"'
        f' {FONT} font-size="{TEXT_SIZE}">',
        *_y_axis(frame, unit),
        *_x_axis(frame),
        *_segment_lines(frame, chart),
        *_target_line(frame, target),
        *_change_lines(frame, changes),
        *_data_line(frame, chart),
        *_points(frame, chart),
        *_markers_below(frame, below, rows),
        "</svg>",
    ]
    return Markup("\n".join(parts))


def variation_icon_svg(variation: Variation) -> Markup:
    """A 40×40 variation icon: a circle in the MDC colour of its meaning, with "H" or "L".

    Common cause is a grey ring around a flat wavy line. The icon is `aria-hidden`: the page prints
    the meaning in words next to it (the enum's value, e.g. "special cause improvement, low"), so a
    `<title>` would only repeat it.
    """
    if variation is Variation.COMMON_CAUSE:
        body = (
            f'<circle cx="20" cy="20" r="18" fill="{WHITE}" stroke="{GREY}" stroke-width="3"/>'
            f'<polyline points="8,20 12,15 16,24 20,16 24,23 28,17 32,20" fill="none"'
            f' stroke="{GREY}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
        )
        return _icon(body, "common-cause")
    colour = {
        Variation.IMPROVEMENT_HIGH: BLUE,
        Variation.IMPROVEMENT_LOW: BLUE,
        Variation.CONCERN_HIGH: ORANGE,
        Variation.CONCERN_LOW: ORANGE,
        Variation.NEUTRAL_HIGH: PURPLE,
        Variation.NEUTRAL_LOW: PURPLE,
    }[variation]
    letter = "H" if variation.value.endswith("high") else "L"
    return _icon(_lettered_circle(colour, letter), variation.name.lower().replace("_", "-"))


def assurance_icon_svg(assurance: Assurance) -> Markup:
    """A 40×40 assurance icon: "P" passing (blue), "F" failing (orange), "?" hit and miss (grey).

    `aria-hidden` like the variation icons: the page prints the meaning next to it.
    """
    colour, letter = {
        Assurance.PASSING: (BLUE, "P"),
        Assurance.FAILING: (ORANGE, "F"),
        Assurance.HIT_AND_MISS: (GREY, "?"),
    }[assurance]
    return _icon(_lettered_circle(colour, letter), assurance.name.lower().replace("_", "-"))


# The frame: where the plot area sits and how months and values map onto it.


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom_margin: float
    point_months: tuple[int, ...]  # month number (year * 12 + month - 1) of each point
    first_month: int  # month number at the left edge
    month_count: int
    y_min: float
    y_max: float
    y_ticks: tuple[float, ...]  # round values inside the range, a few of them
    floor: float | None  # lines below this are drawn at it
    ceiling: float | None

    @classmethod
    def fit(
        cls,
        chart: XmRChart,
        numbers: Sequence[int],
        *,
        unit: str,
        target: float | None,
        width: int,
        height: int,
    ) -> _Frame:
        values = [p.value for p in chart.points if math.isfinite(p.value)]
        floor = 0.0 if values and min(values) >= 0 else None
        ceiling = 100.0 if unit == "%" and values and max(values) <= 100 else None
        levels = list(values)
        for segment in chart.segments:
            levels += [
                segment.mean,
                segment.upper_limit,
                segment.lower_limit,
                segment.upper_2sigma,
                segment.lower_2sigma,
            ]
        if target is not None:
            levels.append(target)
        levels = [_clamp(v, floor, ceiling) for v in levels if math.isfinite(v)] or [0.0]
        low, high = min(levels), max(levels)
        span = high - low
        flat = span <= abs(high) * 1e-6  # all equal, give or take float noise
        pad = max(abs(high) * 0.05, 1.0) if flat else span * 0.08
        y_min, y_max = low - pad, high + pad
        if floor is not None:
            y_min = max(y_min, floor)
        if ceiling is not None:
            y_max = min(y_max, ceiling)
        top = 40.0 if unit == "%" or not unit else 48.0
        return cls(
            width=width,
            height=height,
            left=60.0,
            right=width - 16.0,
            top=top,
            bottom_margin=52.0,
            point_months=tuple(numbers),
            first_month=numbers[0],
            month_count=numbers[-1] - numbers[0] + 1,
            y_min=y_min,
            y_max=y_max,
            y_ticks=_ticks(y_min, y_max),
            floor=floor,
            ceiling=ceiling,
        )

    @property
    def bottom(self) -> float:
        return self.height - self.bottom_margin

    @property
    def month_width(self) -> float:
        return (self.right - self.left) / self.month_count

    def x(self, month_number: int) -> float:
        """The centre of a month's column."""
        return self.left + (month_number - self.first_month + 0.5) * self.month_width

    def point_x(self, index: int) -> float:
        return self.x(self.point_months[index])

    def y(self, value: float) -> float:
        value = _clamp(value, self.floor, self.ceiling)
        share = (self.y_max - value) / (self.y_max - self.y_min)
        return self.top + share * (self.bottom - self.top)


# The parts of the drawing, each a list of SVG elements.


def _y_axis(frame: _Frame, unit: str) -> list[str]:
    step = frame.y_ticks[1] - frame.y_ticks[0] if len(frame.y_ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    suffix = "%" if unit == "%" else ""
    parts = ['<g class="portal-spc-chart__y-axis">']
    for value in frame.y_ticks:
        y = _n(frame.y(value))
        parts.append(
            f'<line x1="{_n(frame.left)}" y1="{y}" x2="{_n(frame.right)}" y2="{y}"'
            f' stroke="{GREY_4}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_n(frame.left - 8)}" y="{y}" dy="0.35em" text-anchor="end"'
            f' fill="{BLACK}">{value:.{decimals}f}{suffix}</text>'
        )
    if unit and unit != "%":
        parts.append(
            f'<text x="{_n(frame.left - 8)}" y="{_n(frame.top - 24)}" font-size="{SMALL_TEXT_SIZE}"'
            f' fill="{GREY_1}">{escape(unit)}</text>'
        )
    parts.append("</g>")
    return parts


def _x_axis(frame: _Frame) -> list[str]:
    step = next((s for s in LABEL_STEPS if s * frame.month_width >= LABEL_SPACING), LABEL_STEPS[-1])
    bottom = _n(frame.bottom)
    parts = [
        '<g class="portal-spc-chart__x-axis">',
        f'<line x1="{_n(frame.left)}" y1="{bottom}" x2="{_n(frame.right)}" y2="{bottom}"'
        f' stroke="{GREY_1}" stroke-width="1"/>',
    ]
    label_top = frame.height - 36
    shown_year = False
    for number in range(frame.first_month, frame.first_month + frame.month_count):
        if number % step:
            continue
        year, month = divmod(number, 12)
        x = _n(frame.x(number))
        parts.append(
            f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{_n(frame.bottom + 6)}"'
            f' stroke="{GREY_1}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x}" y="{_n(label_top)}" text-anchor="middle"'
            f' fill="{BLACK}">{MONTH_NAMES[month]}</text>'
        )
        if month == 0 or not shown_year:
            parts.append(
                f'<text x="{x}" y="{_n(label_top + 18)}" text-anchor="middle"'
                f' fill="{BLACK}">{year}</text>'
            )
            shown_year = True
    parts.append("</g>")
    return parts


def _segment_lines(frame: _Frame, chart: XmRChart) -> list[str]:
    """Each segment's mean, process limits and 2-sigma lines, across its own months only."""
    parts = ['<g class="portal-spc-chart__limits">']
    half = frame.month_width / 2
    for segment in chart.segments:
        if segment.end <= segment.start:
            continue
        x1, x2 = frame.point_x(segment.start) - half, frame.point_x(segment.end - 1) + half
        limit_colour, limit_dash = (GREY_3, "3 5") if segment.trial else (GREY_1, "8 5")
        lines = [
            (segment.upper_2sigma, GREY_3, "1 4", "2sigma"),
            (segment.lower_2sigma, GREY_3, "1 4", "2sigma"),
            (segment.upper_limit, limit_colour, limit_dash, "limit"),
            (segment.lower_limit, limit_colour, limit_dash, "limit"),
            (segment.mean, BLACK, None, "mean"),
        ]
        for value, colour, dash, role in lines:
            if not math.isfinite(value):
                continue
            y = _n(frame.y(value))
            dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line class="portal-spc-chart__{role}" x1="{_n(x1)}" y1="{y}" x2="{_n(x2)}" y2="{y}"'
                f' stroke="{colour}" stroke-width="1.5"{dash_attribute}/>'
            )
        if segment.trial:
            parts.append(_trial_label(frame, x1, x2))
    parts.append("</g>")
    return parts


def _trial_label(frame: _Frame, x1: float, x2: float) -> str:
    """The words "trial limits" in the band above the plot, clear of a change line's number at `x1`.

    Beside the number when they fit; in a narrow last segment, above it, ending at the right edge.
    """
    text = "trial limits"
    text_width = 0.55 * SMALL_TEXT_SIZE * len(text)
    x, y, anchor = x1 + 14, frame.top - 12, "start"
    if x + text_width > frame.right:
        x, y, anchor = min(x2, frame.right), frame.top - 28, "end"
    return (
        f'<text class="portal-spc-chart__trial" x="{_n(x)}" y="{_n(y)}"'
        f' text-anchor="{anchor}" font-size="{SMALL_TEXT_SIZE}" fill="{GREY_1}">{text}</text>'
    )


def _target_line(frame: _Frame, target: float | None) -> list[str]:
    if target is None or not math.isfinite(target):
        return []
    y = _n(frame.y(target))
    return [
        f'<line class="portal-spc-chart__target" x1="{_n(frame.left)}" y1="{y}" x2="{_n(frame.right)}"'
        f' y2="{y}" stroke="{RED}" stroke-width="2" stroke-dasharray="10 6"/>'
    ]


def _change_lines(frame: _Frame, changes: Sequence[tuple[int, Marker]]) -> list[str]:
    """A vertical line where each marked change begins, numbered above the plot."""
    parts = []
    for number, marker in changes:
        x = _n(frame.x(_month_number(marker.month)) - frame.month_width / 2)
        parts += [
            '<g class="portal-spc-chart__change">',
            f"<title>{number}. {escape(marker.label)}</title>",
            f'<line x1="{x}" y1="{_n(frame.top - 4)}" x2="{x}" y2="{_n(frame.bottom)}"'
            f' stroke="{DARK_BLUE}" stroke-width="1.5"/>',
            f'<text x="{x}" y="{_n(frame.top - 10)}" text-anchor="middle"'
            f' font-weight="bold" fill="{DARK_BLUE}">{number}</text>',
            "</g>",
        ]
    return parts


def _data_line(frame: _Frame, chart: XmRChart) -> list[str]:
    """The line through the points, broken where a month or more has no data."""
    runs: list[list[str]] = []
    previous: int | None = None
    for i, point in enumerate(chart.points):
        if not math.isfinite(point.value):
            previous = None
            continue
        number = frame.point_months[i]
        if previous is None or number - previous > 1:
            runs.append([])
        runs[-1].append(f"{_n(frame.x(number))},{_n(frame.y(point.value))}")
        previous = number
    parts = ['<g class="portal-spc-chart__line">']
    parts += [
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{GREY}" stroke-width="2"'
        ' stroke-linejoin="round"/>'
        for run in runs
        if len(run) > 1
    ]
    parts.append("</g>")
    return parts


def _points(frame: _Frame, chart: XmRChart) -> list[str]:
    parts = ['<g class="portal-spc-chart__points">']
    for i, point in enumerate(chart.points):
        if not math.isfinite(point.value):
            continue
        x = _n(frame.point_x(i))
        radius = 4 if point.signal is None else 5.5
        parts.append(
            f'<circle cx="{x}" cy="{_n(frame.y(point.value))}" r="{radius}"'
            f' fill="{SIGNAL_COLOURS[point.signal]}" stroke="{WHITE}" stroke-width="1"/>'
        )
    parts.append("</g>")
    return parts


def _marker_rows(frame: _Frame, markers: Sequence[tuple[int, Marker]]) -> dict[int, int]:
    """The row under the axis for each event or story, so that no two overlap."""
    rows: dict[int, int] = {}
    row_ends: list[float] = []
    for number, marker in markers:
        x = frame.x(_month_number(marker.month))
        start, end = x - 7, x + 10 + 0.6 * SMALL_TEXT_SIZE * len(str(number))
        row = next((r for r, row_end in enumerate(row_ends) if row_end + 2 <= start), None)
        if row is None:
            row = len(row_ends)
            row_ends.append(end)
        else:
            row_ends[row] = end
        rows[number] = row
    return rows


def _markers_below(
    frame: _Frame, markers: Sequence[tuple[int, Marker]], rows: dict[int, int]
) -> list[str]:
    """Network events (triangles) and stories (squares) under the x axis, each with its number."""
    parts = []
    for number, marker in markers:
        x = frame.x(_month_number(marker.month))
        y = frame.bottom + 12 + rows[number] * MARKER_ROW + 6  # centre of the symbol
        if marker.kind == "event":
            symbol = (
                f'<polygon points="{_n(x)},{_n(y - 6)} {_n(x + 6.5)},{_n(y + 5.5)}'
                f' {_n(x - 6.5)},{_n(y + 5.5)}" fill="{DARK_BLUE}"/>'
            )
            colour = DARK_BLUE
        else:
            symbol = (
                f'<rect x="{_n(x - 5.5)}" y="{_n(y - 5.5)}" width="11" height="11"'
                f' fill="{DARK_PINK}"/>'
            )
            colour = DARK_PINK
        parts += [
            f'<g class="portal-spc-chart__marker portal-spc-chart__marker--{marker.kind}">',
            f"<title>{number}. {escape(marker.label)}</title>",
            symbol,
            f'<text x="{_n(x + 9)}" y="{_n(y)}" dy="0.35em" font-size="{SMALL_TEXT_SIZE}"'
            f' font-weight="bold" fill="{colour}">{number}</text>',
            "</g>",
        ]
    return parts


def _no_data_svg(width: int) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="portal-spc-chart portal-spc-chart--empty"'
        f' viewBox="0 0 {width} 60" width="100%" preserveAspectRatio="xMidYMid meet"'
        f' aria-hidden="true" focusable="false" {FONT} font-size="{TEXT_SIZE}">'
        f'<rect x="1" y="1" width="{width - 2}" height="58" fill="{WHITE}" stroke="{GREY_4}"'
        ' stroke-width="2"/>'
        f'<text x="{_n(width / 2)}" y="30" dy="0.35em" text-anchor="middle"'
        f' fill="{GREY_1}">No data yet</text>'
        "</svg>"
    )


# Icons.


def _lettered_circle(colour: str, letter: str) -> str:
    return (
        f'<circle cx="20" cy="20" r="19" fill="{colour}"/>'
        f'<text x="20" y="20" dy="0.36em" text-anchor="middle" font-size="22" font-weight="bold"'
        f' fill="{WHITE}">{escape(letter)}</text>'
    )


def _icon(body: str, name: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="portal-spc-icon portal-spc-icon--{name}"'
        f' viewBox="0 0 40 40" width="40" height="40" aria-hidden="true" focusable="false" {FONT}>'
        f"{body}</svg>"
    )


# Small helpers.


def _month_number(month: date) -> int:
    return month.year * 12 + month.month - 1


def _clamp(value: float, floor: float | None, ceiling: float | None) -> float:
    if floor is not None and value < floor:
        return floor
    if ceiling is not None and value > ceiling:
        return ceiling
    return value


def _ticks(low: float, high: float, most: int = 6) -> tuple[float, ...]:
    """Multiples of the smallest of 1, 2, 5 × 10ⁿ that puts at most `most` of them in the range."""
    exponent = math.floor(math.log10((high - low) / most))
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**exponent
            first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
            if last - first + 1 <= most:
                return tuple(round(i * step, 9) for i in range(first, last + 1))
        exponent += 1


def _n(value: float) -> str:
    """A coordinate to one decimal place, without a trailing ".0"."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text
