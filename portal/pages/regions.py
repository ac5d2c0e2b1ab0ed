"""A region's page and a trust's page: the reference data with the events, places and stories that
belong to it. Composed here, above those features, on the regions blueprint (its addresses)."""

from __future__ import annotations

from flask import request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.auth.permissions import signed_in
from portal.database import paginate
from portal.events.service import can_manage_region, upcoming_events
from portal.measures.service import is_published, may_see
from portal.pages.measures import public_charts
from portal.regions import bp
from portal.regions.service import region_by_slug, trust_by_code, trusts_in
from portal.registrations.service import places_for
from portal.robson.disclosure import public_report
from portal.robson.service import latest_report
from portal.stories.service import latest_stories
from portal.web.htmx import render
from portal.web.lookups import found_or_404
from portal.web.navigation import navigation_link
from portal.web.pagecache import public_page


def _own_region(person: object) -> str | None:
    if signed_in(person) and person.is_coordinator and person.region is not None:
        return url_for("regions.region", slug=person.region.slug)
    return None


def _own_trust(person: object) -> str | None:
    if signed_in(person) and person.is_trust_staff and person.trust is not None:
        return url_for("regions.trust", ods_code=person.trust.ods_code)
    return None


#: A region's page lists its trusts fifty at a time (a region had a few dozen).
TRUSTS_PER_PAGE = 50

navigation_link("Your region", 60, _own_region)
navigation_link("Your trust", 60, _own_trust)


@bp.get("/regions/<slug>")
@public_page("regions", "trusts", "network_events", "registrations")
def region(slug: str) -> ResponseReturnValue:
    found = found_or_404(region_by_slug(slug))
    page = paginate(trusts_in(found), request.args.get("page", 1, type=int) or 1, TRUSTS_PER_PAGE)
    return render(
        "regions/region.jinja",
        region=found,
        trusts=page.items,
        trust_page=page,
        events=(events := upcoming_events(10, region=found)),
        places=places_for(events),
        can_manage=can_manage_region(current_user, found),
    )


@bp.get("/trusts/<ods_code>")
# Registrations: the events someone from the trust was checked in at are marked on its charts.
# Its Robson counts change measure_settings too (portal.measures.service.figures_changed).
@public_page("regions", "trusts", "network_events", "stories", "registrations", "measure_settings")
def trust(ods_code: str) -> ResponseReturnValue:
    found = found_or_404(trust_by_code(ods_code))
    published = is_published(found)
    robson = latest_report(found) if published else None
    return render(
        "regions/trust.jinja",
        trust=found,
        stories=latest_stories(50, trust=found),
        charts=public_charts(found) if published else None,
        robson=robson,
        robson_table=public_report(robson.report, robson.unclassified) if robson else None,
        may_see_measures=may_see(current_user, found),
    )
