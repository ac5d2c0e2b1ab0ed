from __future__ import annotations

from collections.abc import Callable

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.auth.permissions import signed_in
from portal.database import database_is_reachable
from portal.events.service import upcoming_events
from portal.extensions import csrf, limiter
from portal.pages import bp
from portal.pages.home import role_home
from portal.regions.service import regions_in_order
from portal.registrations.service import places_for
from portal.stories.service import latest_stories
from portal.web.htmx import render
from portal.web.navigation import navigation_link, to
from portal.web.pagecache import public_page

navigation_link("About", 20, to("pages.about"), {"pages.about"})
navigation_link("Contact", 1000, to("pages.contact"), {"pages.contact"})

INFORMATION_PAGES = {
    "about": "pages/about.jinja",
    "contact": "pages/contact.jinja",
    "accessibility": "pages/accessibility.jinja",
    "privacy": "pages/privacy.jinja",
    "cookies": "pages/cookies.jinja",
    "medical-advice": "pages/medical_advice.jinja",
}


@bp.get("/")
@public_page("regions", "trusts", "network_events", "registrations", "stories")
def home() -> ResponseReturnValue:
    """Visitors get the programme's front page; a signed-in person, what needs doing now."""
    if signed_in(current_user):
        return role_home(current_user)
    events = upcoming_events(4)
    return render(
        "pages/home.jinja",
        regions=regions_in_order(),
        events=events,
        places=places_for(events),
        stories=latest_stories(3),
    )


def _information_page(template: str) -> Callable[[], ResponseReturnValue]:
    def view() -> ResponseReturnValue:
        return render(template)

    return view


for _slug, _template in INFORMATION_PAGES.items():
    bp.add_url_rule(
        f"/{_slug}",
        endpoint=_slug.replace("-", "_"),
        view_func=_information_page(_template),
        methods=["GET"],
    )


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz() -> ResponseReturnValue:
    """Liveness and database reachability, for load balancers and monitoring."""
    database = "ok" if database_is_reachable() else "unreachable"
    status = 200 if database == "ok" else 503
    response = jsonify(status="ok" if status == 200 else "unavailable", database=database)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
