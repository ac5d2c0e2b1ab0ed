from __future__ import annotations

from flask.typing import ResponseReturnValue

from portal.regions import bp
from portal.regions.service import (
    participating_trusts,
    regions_in_order,
    trust_counts_by_region,
)
from portal.web.htmx import render
from portal.web.navigation import navigation_link, to
from portal.web.pagecache import public_page

navigation_link("Regions", 30, to("regions.index"), {"regions.index", "regions.region"})
navigation_link("Trusts", 40, to("regions.trusts"), {"regions.trusts", "regions.trust"})


@bp.get("/regions")
@public_page("regions", "trusts")
def index() -> ResponseReturnValue:
    return render(
        "regions/index.jinja", regions=regions_in_order(), counts=trust_counts_by_region()
    )


@bp.get("/trusts")
@public_page("regions", "trusts")
def trusts() -> ResponseReturnValue:
    return render("regions/trusts.jinja", trusts=participating_trusts())
