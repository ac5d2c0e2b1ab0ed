"""A trust's charts, with the network events its staff attended and the stories it published
marked on them; a region's trusts side by side; the programme's summary table. Composed here,
above measures, registrations and stories, on the measures blueprint (its addresses)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.measures import bp
from portal.measures.chart import Marker, assurance_icon_svg, variation_icon_svg
from portal.measures.drawings import NARROW, WIDE, drawing, page_chart
from portal.measures.models import Measure
from portal.measures.routes import measure_or_404, trust_for_measures
from portal.measures.service import (
    ASSURANCE_WORDS,
    VARIATION_WORDS,
    Series,
    looks_after_figures,
    may_record,
    series_for_trusts,
    summary,
    trust_series,
    trusts_for,
)
from portal.regions.models import Trust
from portal.regions.service import regions_in_order
from portal.registrations.service import events_attended_by
from portal.robson.service import group_rates
from portal.stories.service import latest_stories
from portal.web.dates import LONDON
from portal.web.htmx import render
from portal.web.navigation import navigation_link

CHARTED = Measure.TOTAL_CS  # the measure a region's and the programme's pages compare


def _measures_link(person: object) -> str | None:
    return url_for("measures.index") if looks_after_figures(person) else None


navigation_link(
    "Measures",
    85,
    _measures_link,
    {
        "measures.index",
        "measures.trust_measures",
        "measures.months",
        "measures.new_month",
        "measures.edit_month",
        "measures.changes",
        "measures.import_counts",
        "measures.import_preview",
    },
)


def markers(trust: Trust, series: Series) -> list[Marker]:
    """What happened at the trust, by month: network events attended, stories published, and
    the changes it marked."""
    found = [
        Marker(event.event_date.replace(day=1), f"Network event: {event.title}", "event")
        for event in events_attended_by(trust)
    ]
    found += [
        Marker(
            story.published_at.astimezone(LONDON).date().replace(day=1),
            f"Story published: {story.display_title}",
            "story",
        )
        for story in latest_stories(100, trust=trust)
        if story.published_at is not None
    ]
    found += [Marker(change.month, f"Change: {change.note}", "change") for change in series.changes]
    return sorted(found, key=lambda m: (m.month, m.kind, m.label))  # the charts' numbering


@dataclass(frozen=True)
class PublicCharts:
    """A trust's published charts, made from the months whose counts may be shown."""

    series: dict[Measure, Series]
    charts: dict[Measure, Markup]
    summaries: dict[Measure, str]
    marks: list[Marker]


def public_charts(trust: Trust) -> PublicCharts:
    all_series = trust_series(trust, public=True)
    marks = markers(trust, all_series[CHARTED])
    return PublicCharts(
        all_series,
        {m: page_chart(s, marks) for m, s in all_series.items()},
        {m: summary(s) for m, s in all_series.items()},
        marks,
    )


@bp.get("/measures")
@login_required
def index() -> ResponseReturnValue:
    """Trust staff go to their trust's charts; a coordinator sees the region's trusts side by
    side; the programme team see every participating trust in one table."""
    trusts = trusts_for(current_user)
    if current_user.is_trust_staff and trusts:
        return redirect(url_for("measures.trust_measures", ods_code=trusts[0].ods_code))
    if current_user.is_admin:
        shown = [t for t in trusts if t.participating] or trusts
        regions = {r.id: r for r in regions_in_order()}
        shown.sort(key=lambda t: (regions[t.region_id].sort_order, t.name))
        by_trust = series_for_trusts(shown, CHARTED)
        return render(
            "measures/programme.jinja",
            trusts=shown,
            series=by_trust,
            measure=CHARTED,
            variation_icon=variation_icon_svg,
            assurance_icon=assurance_icon_svg,
            variation_words=VARIATION_WORDS,
            assurance_words=ASSURANCE_WORDS,
        )
    if not (current_user.is_coordinator and current_user.region is not None):
        abort(404)
    by_trust = series_for_trusts(trusts, CHARTED)
    return render(
        "measures/region.jinja",
        region=current_user.region,
        trusts=trusts,
        series=by_trust,
        measure=CHARTED,
        charts={t.id: drawing(by_trust[t.id], [], NARROW) for t in trusts},
        summaries={t.id: summary(by_trust[t.id]) for t in trusts},
        variation_icon=variation_icon_svg,
        variation_words=VARIATION_WORDS,
    )


@bp.get("/trusts/<ods_code>/measures")
@login_required
def trust_measures(ods_code: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code)
    all_series = trust_series(trust)
    marks = markers(trust, all_series[CHARTED])
    group_series = group_rates(trust)
    return render(
        "measures/trust.jinja",
        trust=trust,
        all_series=all_series,
        charts={m: page_chart(s, marks) for m, s in all_series.items()},
        summaries={m: summary(s) for m, s in all_series.items()},
        marks=marks,
        group_series=group_series,
        group_charts={r: page_chart(s, marks) for r, s in group_series.items()},
        group_summaries={r: summary(s) for r, s in group_series.items()},
        may_record=may_record(current_user, trust),
        variation_icon=variation_icon_svg,
        assurance_icon=assurance_icon_svg,
        variation_words=VARIATION_WORDS,
        assurance_words=ASSURANCE_WORDS,
    )


@bp.get("/trusts/<ods_code>/measures/<measure>.svg")
@login_required
def chart_download(ods_code: str, measure: str) -> ResponseReturnValue:
    """The chart as an SVG file, for slides at network events."""
    trust = trust_for_measures(ods_code)
    chosen = measure_or_404(measure)
    series = trust_series(trust)[chosen]
    svg = str(drawing(series, markers(trust, series), WIDE))
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
    response = Response(body, mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{trust.ods_code.lower()}-{chosen.value}.svg"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
