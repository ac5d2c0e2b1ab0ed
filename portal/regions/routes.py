from __future__ import annotations

from flask import abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.events.service import can_manage_region, upcoming_events
from portal.regions import bp
from portal.regions.service import (
    participating_trusts,
    region_by_slug,
    regions_in_order,
    trust_by_code,
    trust_counts_by_region,
    trusts_of,
)
from portal.registrations.service import places_for
from portal.web.htmx import render


@bp.get("/regions")
def index() -> ResponseReturnValue:
    return render(
        "regions/index.jinja", regions=regions_in_order(), counts=trust_counts_by_region()
    )


@bp.get("/regions/<slug>")
def region(slug: str) -> ResponseReturnValue:
    found = region_by_slug(slug)
    if found is None:
        abort(404)
    return render(
        "regions/region.jinja",
        region=found,
        trusts=trusts_of(found),
        events=(events := upcoming_events(10, region=found)),
        places=places_for(events),
        can_manage=can_manage_region(current_user, found),
    )


@bp.get("/trusts")
def trusts() -> ResponseReturnValue:
    return render("regions/trusts.jinja", trusts=participating_trusts())


@bp.get("/trusts/<ods_code>")
def trust(ods_code: str) -> ResponseReturnValue:
    found = trust_by_code(ods_code)
    if found is None:
        abort(404)
    from portal.stories.service import latest_stories

    return render("regions/trust.jinja", trust=found, stories=latest_stories(50, trust=found))
