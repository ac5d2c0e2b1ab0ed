"""The self-assessment's pictures, drawn on the server as SVG (no script):

- a spectrum chart per pathway: each characteristic a row along its spectrum of positions, the
  current position a dot and the aspired position a ring, joined by a line;
- a comparison of two rounds: each characteristic's current position in the earlier round (a
  grey dot) and in the later one (a blue dot), joined by an arrow.

Each drawing is one image whose title says what it shows; the page's table beside it gives every
figure, so the drawing's own text is hidden from screen readers. Colours and sizes are SVG
attributes (the Content-Security-Policy allows no inline style). Each comes at two widths, and
the page's CSS shows the narrow one on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal.assessments.models import RoundAnswer
from portal.assessments.rounds import Move, Movement

WIDE, NARROW = 720, 360
ROW = 36
TOP = 34
BOTTOM = 40
BLUE = "#005eb8"
GREY = "#768692"
TRACK = "#d8dde0"
TEXT = "#212b32"


@dataclass(frozen=True)
class _Row:
    label: str
    positions: int  # how many positions the characteristic's spectrum has
    first: int | None  # current (spectrum) or earlier current (comparison)
    second: int | None  # aspired (spectrum) or later current (comparison)


def spectrum_summary(pathway_label: str, answers: Sequence[RoundAnswer]) -> str:
    """The spectrum chart's accessible name."""
    given = [a for a in answers if a.is_answered]
    return (
        f"Spectrum chart for {pathway_label}: for each of {len(answers)} characteristics, the "
        f"current position (a dot) and the aspired position (a ring) on its spectrum; "
        f"{len(given)} have both positions. The table gives each position."
    )


def comparison_summary(pathway_label: str, rows: Sequence[Movement]) -> str:
    counts = {
        move: sum(1 for r in rows if r.move is move) for move in (Move.UP, Move.SAME, Move.DOWN)
    }
    return (
        f"Comparison chart for {pathway_label}: each characteristic's current position in the "
        f"earlier round (a grey dot) and the later round (a blue dot). "
        f"{counts[Move.UP]} moved up, {counts[Move.SAME]} stayed, {counts[Move.DOWN]} moved down. "
        "The table gives each position."
    )


def _svg(rows: Sequence[_Row], width: int, title: str, ident: str, comparison: bool) -> Markup:
    label_width = 64 if width >= 600 else 52
    right = 24
    plot = width - label_width - right
    most = max([2, *(r.positions for r in rows)])
    height = TOP + ROW * max(len(rows), 1) + BOTTOM
    x = lambda p: label_width + plot * (p - 1) / (most - 1)  # noqa: E731
    title_id = f"{ident}-{width}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{title_id}" focusable="false">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<g aria-hidden="true" font-family="Frutiger W01, Arial, sans-serif" fill="{TEXT}">',
    ]
    # The key.
    if comparison:
        keys = [("dot", GREY, "Earlier round"), ("dot", BLUE, "Later round")]
    else:
        keys = [("dot", BLUE, "Current"), ("ring", BLUE, "Aspired")]
    kx = label_width
    for shape, colour, text in keys:
        parts.append(_mark(shape, colour, kx + 6, 14))
        parts.append(f'<text x="{kx + 22}" y="19" font-size="14">{text}</text>')
        kx += 150 if width >= 600 else 130
    for p in range(1, most + 1):
        px = x(p)
        parts.append(
            f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{height - BOTTOM}" '
            f'stroke="{TRACK}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{px:.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="13">{p}</text>'
        )
    parts.append(
        f'<text x="{label_width + plot / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        'font-size="13">Position on the spectrum</text>'
    )
    for n, row in enumerate(rows):
        y = TOP + ROW * n + ROW / 2
        parts.append(
            f'<text x="{label_width - 10}" y="{y + 5:.1f}" text-anchor="end" font-size="14" '
            f'font-weight="bold">{escape(row.label)}</text>'
        )
        # The characteristic's own spectrum: a track from its first position to its last.
        parts.append(
            f'<line x1="{x(1):.1f}" y1="{y:.1f}" x2="{x(row.positions):.1f}" y2="{y:.1f}" '
            f'stroke="{TRACK}" stroke-width="6" stroke-linecap="round"/>'
        )
        a, b = row.first, row.second
        if a is not None and b is not None and a != b:
            parts.append(
                f'<line x1="{x(a):.1f}" y1="{y:.1f}" x2="{x(b):.1f}" y2="{y:.1f}" '
                f'stroke="{BLUE if not comparison else GREY}" stroke-width="3"/>'
            )
            if comparison:
                parts.append(_arrow_head(x(a), x(b), y))
        if comparison:
            if a is not None:
                parts.append(_mark("dot", GREY, x(a), y))
            if b is not None:
                parts.append(_mark("dot", BLUE, x(b), y, radius=6 if a == b else 8))
        else:
            if b is not None:
                parts.append(_mark("ring", BLUE, x(b), y))
            if a is not None:
                parts.append(_mark("dot", BLUE, x(a), y, radius=5 if a == b else 7))
        if a is None and b is None:
            parts.append(
                f'<text x="{x(1) + 4:.1f}" y="{y - 8:.1f}" font-size="12">not given</text>'
            )
    parts.append("</g></svg>")
    return Markup("".join(parts))


def _mark(shape: str, colour: str, cx: float, cy: float, radius: float = 7) -> str:
    if shape == "ring":
        return (
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius + 2}" fill="#ffffff" '
            f'stroke="{colour}" stroke-width="3"/>'
        )
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}" fill="{colour}"/>'


def _arrow_head(x1: float, x2: float, y: float) -> str:
    """A small head on the line from the earlier position towards the later one."""
    direction = 1 if x2 > x1 else -1
    tip = x2 - direction * 10
    back = tip - direction * 8
    return (
        f'<path d="M{back:.1f},{y - 6:.1f} L{tip:.1f},{y:.1f} L{back:.1f},{y + 6:.1f}" '
        f'fill="none" stroke="{GREY}" stroke-width="2"/>'
    )


def _both(rows: Sequence[_Row], title: str, ident: str, comparison: bool) -> Markup:
    return (
        Markup('<div class="portal-chart__wide">')
        + _svg(rows, WIDE, title, ident, comparison)
        + Markup('</div><div class="portal-chart__narrow">')
        + _svg(rows, NARROW, title, ident, comparison)
        + Markup("</div>")
    )


def spectrum_chart(pathway_label: str, ident: str, answers: Sequence[RoundAnswer]) -> Markup:
    """One pathway's answers as a spectrum chart, at both widths."""
    rows = [
        _Row(
            a.characteristic.code,
            len(a.characteristic.positions),
            a.current_position,
            a.aspired_position,
        )
        for a in answers
    ]
    return _both(rows, spectrum_summary(pathway_label, answers), ident, comparison=False)


def comparison_chart(pathway_label: str, ident: str, rows: Sequence[Movement]) -> Markup:
    """One pathway's movement between two rounds, at both widths."""
    drawn = [
        _Row(m.code, max(m.before_of or 0, m.after_of or 0, 2), m.before, m.after) for m in rows
    ]
    return _both(drawn, comparison_summary(pathway_label, rows), ident, comparison=True)
