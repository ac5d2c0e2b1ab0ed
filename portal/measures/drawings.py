"""A measure's chart as a page shows it: drawn at two widths, one of which CSS shows.

Text in a 720-wide drawing is too small once a phone shrinks it to 350 pixels, and text sized for
a phone crowds a desktop's labels, so each chart is drawn for both.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from portal.measures.chart import Marker, chart_svg
from portal.measures.service import Series

WIDE, NARROW = 720, 400


def drawing(series: Series, marks: Sequence[Marker] = (), width: int = WIDE) -> Markup:
    """One drawing of the series' chart, `width` units wide."""
    return chart_svg(
        series.chart,
        [m.month for m in series.months],
        target=series.target,
        markers=marks,
        width=width,
    )


def page_chart(series: Series, marks: Sequence[Marker] = ()) -> Markup:
    """The chart for a page: a wide drawing, and a narrow one for phones."""
    return (
        Markup('<div class="portal-chart__wide">')
        + drawing(series, marks, WIDE)
        + Markup('</div><div class="portal-chart__narrow">')
        + drawing(series, marks, NARROW)
        + Markup("</div>")
    )
