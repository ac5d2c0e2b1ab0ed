"""The Robson report's picture: for each group, its size beside its relative contribution to
the caesareans, as horizontal bars (server-side SVG, no JavaScript).

A group that is a larger share of the caesareans than of the women (the second bar longer than
the first) is where caesareans concentrate. The report table beside it is the accessible
equivalent: the drawing is one image with a summary, its text hidden from screen readers.
"""

from __future__ import annotations

from fractions import Fraction

from markupsafe import Markup, escape

from portal.robson.report import RobsonReport, percent_text

WIDE, NARROW = 720, 400
ROW = 34  # height of a group's pair of bars
BAR = 13
BOTTOM = 46


def _number(value: float) -> str:
    return f"{value:.1f}"


def summary(report: RobsonReport) -> str:
    """One sentence for the image's accessible name."""
    if not report.total.caesareans:
        return "Robson groups: size of each group; no caesarean births in this period."
    top = max(report.rows, key=lambda row: row.caesareans)
    return (
        f"Bar chart of each Robson group's size and its share of all caesarean births. "
        f"Group {top.group} contributes most: {percent_text(top.relative_contribution)}% of "
        f"caesarean births from {percent_text(top.group_size)}% of women."
    )


def chart_svg(report: RobsonReport, width: int = WIDE) -> Markup:
    """The drawing, `width` units wide."""
    label_width = 44
    right = 56
    plot = width - label_width - right
    wide = width >= 600
    top = 48 if wide else 66  # the key: one line, or two on a phone
    height = top + ROW * len(report.rows) + BOTTOM
    values = [
        float(v)
        for row in report.rows
        for v in (row.group_size, row.relative_contribution)
        if v is not None
    ]
    largest = max([10.0, *values])
    scale_max = min(100, int(-(-largest // 10) * 10))  # up to the next 10%
    x = lambda v: label_width + plot * v / scale_max  # noqa: E731
    text = escape(summary(report))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="portal-robson-chart" role="img" aria-labelledby="robson-chart-title-{width}">',
        f'<title id="robson-chart-title-{width}">{text}</title>',
        '<g aria-hidden="true">',
        f'<rect x="{label_width}" y="6" width="12" height="12" fill="#005eb8"/>',
        f'<text x="{label_width + 18}" y="16" class="portal-robson-chart__key">Group size (% of women)</text>',
    ]
    second_x, second_y = (label_width + 250, 6) if wide else (label_width, 26)
    parts.append(f'<rect x="{second_x}" y="{second_y}" width="12" height="12" fill="#ed8b00"/>')
    parts.append(
        f'<text x="{second_x + 18}" y="{second_y + 10}" class="portal-robson-chart__key">'
        "Relative contribution (% of caesareans)</text>"
    )
    for tick in range(0, scale_max + 1, 10 if scale_max <= 50 else 20):
        tx = x(tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{height - BOTTOM}" '
            'stroke="#d8dde0" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{tx:.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" '
            f'class="portal-robson-chart__tick">{tick}%</text>'
        )
    parts.append(
        f'<text x="{label_width + plot / 2:.1f}" y="{height - 8}" text-anchor="middle" '
        'class="portal-robson-chart__axis">Percentage</text>'
    )
    for n, row in enumerate(report.rows):
        y = top + ROW * n + 3
        parts.append(
            f'<text x="{label_width - 8}" y="{y + BAR + 4}" text-anchor="end" '
            f'class="portal-robson-chart__group">{escape(row.group)}</text>'
        )
        for k, (value, colour) in enumerate(
            ((row.group_size, "#005eb8"), (row.relative_contribution, "#ed8b00"))
        ):
            by = y + k * BAR
            length = 0.0 if value is None else float(value) * plot / scale_max
            parts.append(
                f'<rect x="{label_width}" y="{by}" width="{max(length, 0):.1f}" '
                f'height="{BAR - 1}" fill="{colour}"/>'
            )
            shown = "–" if value is None else _number(float(Fraction(value)))
            parts.append(
                f'<text x="{label_width + length + 4:.1f}" y="{by + BAR - 2}" '
                f'class="portal-robson-chart__value">{shown}{"" if value is None else "%"}</text>'
            )
    parts.append(
        f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{height - BOTTOM}" '
        'stroke="#4c6272" stroke-width="1"/>'
    )
    parts.append(f'<text x="2" y="{top - 8}" class="portal-robson-chart__axis">Group</text>')
    parts.append("</g></svg>")
    return Markup("".join(parts))


def page_chart(report: RobsonReport) -> Markup:
    """The chart for a page: a wide drawing, and a narrow one for phones (CSS shows one)."""
    return (
        Markup('<div class="portal-chart__wide">')
        + chart_svg(report, WIDE)
        + Markup('</div><div class="portal-chart__narrow">')
        + chart_svg(report, NARROW)
        + Markup("</div>")
    )
