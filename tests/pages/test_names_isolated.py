"""Names people typed are shown isolated (in <bdi>, or in an element the stylesheet isolates), so
a right-to-left override (U+202E) in a name cannot reorder the text around it on any page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask

from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.regions.service import update_trust
from portal.registrations.service import book_places
from tests.client import PortalClient
from tests.factories import make_event, make_trust, make_user, published, region
from tests.registrations.helpers import person

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: shows what follows it backwards, to the paragraph's end

#: Elements that isolate what they hold: <bdi> itself; <del> and <ins> and the design system's
#: links that show a name, which static/css/portal.css isolates; and places that cannot hold
#: markup and are a line of their own (the window's title, a choice in a list).
ISOLATING_TAGS = {"bdi", "del", "ins", "title", "option"}
ISOLATING_CLASSES = {"nhsuk-breadcrumb__link", "nhsuk-back-link", "nhsuk-header__account-link"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class OverrideFinder(HTMLParser):
    """Collects each piece of text holding U+202E that no isolating element holds."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, set[str]]] = []
        self.loose: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            classes = set((dict(attrs).get("class") or "").split())
            self.open.append((tag, classes))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if RLO in data and not any(
            tag in ISOLATING_TAGS or classes & ISOLATING_CLASSES for tag, classes in self.open
        ):
            path = " > ".join(tag for tag, _ in self.open[-4:])
            self.loose.append(f"{path}: {data.strip()!r}")


def loose_overrides(html: str) -> list[str]:
    finder = OverrideFinder()
    finder.feed(html)
    return finder.loose


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """A region, a trust, people, an event, a booking and a story, all named with U+202E."""
    london = region("london")
    london.name, london.short_name = f"NHS Lon{RLO}don", f"Lon{RLO}don"
    london.contact_name = f"Con{RLO}tact"
    trust = make_trust(f"River{RLO}side NHS Trust", "RS1", "london")
    coordinator = make_user("coordinator", "coord@nhs.example", name=f"Coord{RLO}inator")
    staff = make_user("trust", "staff@nhs.example", trust=trust, name=f"Sta{RLO}ff")
    admin = make_user("admin", "admin@nhs.example", name=f"Ad{RLO}min")
    event = make_event(
        coordinator, publish=True, title=f"Birth{RLO}day (one day)", venue_name=f"Civic{RLO}Hall"
    )
    make_event(coordinator, publish=True, title=f"Second{RLO}event")
    outcome = book_places(event, [person(1, name=f"Atten{RLO}dee")], actor=staff)[0]
    story = published(staff, coordinator, title=f"Sto{RLO}ry of a clinic")
    update_trust(
        trust,
        {"name": f"River{RLO}side NHS Trust", "ods_code": "RS1", "region": london},
        actor=admin,
    )
    db.session.commit()
    return {
        "coordinator": coordinator,
        "staff": staff,
        "admin": admin,
        "event": event.id,
        "registration": outcome.registration.id,
        "story": story.id,
        "trust": trust.id,
    }


PAGES: dict[str | None, list[str]] = {
    None: [
        "/",
        "/regions",
        "/regions/london",
        "/trusts",
        "/trusts/RS1",
        "/events",
        "/events?region=london",
        "/events/{event}",
        "/stories",
        "/stories?region=london&trust=RS1",
        "/stories/{story}",
    ],
    "coordinator": [
        "/",
        "/manage/events?region=london",
        "/events/{event}/attendees",
        "/registrations/{registration}/remove",
        "/team",
        "/account",
    ],
    "staff": [
        "/",
        "/bookings",
        "/bookings/{registration}/withdraw",
        "/bookings/{registration}/change",
        "/events/{event}/book",
        "/stories/mine",
        "/account",
    ],
    "admin": [
        "/",
        "/admin/trusts",
        "/admin/trusts/{trust}/edit",
        "/admin/regions",
        "/admin/people",
        "/admin/audit",
        "/people/{staff_id}",
        "/events/{event}/edit",
        "/events/{event}/cancel",
    ],
}


@pytest.mark.parametrize(
    ("who", "path"), [(who, path) for who, paths in PAGES.items() for path in paths]
)
def test_every_name_with_an_override_is_isolated(
    client: PortalClient, world: dict[str, Any], who: str | None, path: str
) -> None:
    if who:
        client.sign_in(world[who])
        # The "You are signed in as <name>." message is built in Python as plain text (left
        # alone here): it is shown on the next page, so that page is not the one checked.
        client.get("/account")
    url = path.format(staff_id=world["staff"].id, **world)
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert RLO in html, f"{url} shows none of the names"
    assert loose_overrides(html) == []


def test_a_trust_page_wraps_the_trusts_name_in_bdi(client: PortalClient, world: Any) -> None:
    html = client.get("/trusts/RS1").get_data(as_text=True)
    assert f"<h1><bdi>River{RLO}side NHS Trust</bdi>" in html
    assert f'<a href="/regions/london"><bdi>NHS Lon{RLO}don</bdi></a>' in html


def test_the_finder_sees_a_name_that_is_not_isolated() -> None:
    loose = f"Withdraw Atten{RLO}dee?"
    assert loose_overrides(f"<main><p>{loose}</p></main>") == [f"main > p: {loose!r}"]
    assert loose_overrides(f"<p>Withdraw <bdi>Atten{RLO}dee</bdi>?</p>") == []
    assert loose_overrides(f'<a class="nhsuk-back-link" href="/">Lon{RLO}don</a>') == []


def test_the_stylesheet_isolates_the_elements_the_finder_trusts() -> None:
    css = (PROJECT_ROOT / "static" / "css" / "portal.css").read_text(encoding="utf-8")
    isolated: set[str] = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if re.search(r"unicode-bidi:\s*isolate", body):
            isolated |= {
                s.strip() for s in re.sub(r"/\*.*?\*/", "", selectors, flags=re.S).split(",")
            }
    assert {f".{name}" for name in ISOLATING_CLASSES} | {"del", "ins"} <= isolated
