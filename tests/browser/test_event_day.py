"""The coordinator on the day, on a phone: finds people by name as they type and checks them in,
with the counts following; the same without JavaScript; the page, the register and its printed
form kept as screenshots to look at.

The event is Yorkshire and the Humber's, in the next programme year but one (no other browser
test plans events there then), with 34 people from three trusts of its own.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.auth.models import Role, User
from portal.auth.service import create_user
from portal.events.service import create_event, publish_event
from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from portal.registrations.models import JobRole
from portal.registrations.service import Attendee, book_places, set_attended
from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    assert_accessible,
    check_and_save,
    problems_of,
    sign_in,
)
from tests.events.helpers import event_values, future
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

SLUG = "yorkshire-and-the-humber"
FIRST_NAMES = [
    "Amara",
    "Osei",
    "Bolton",
    "Cardew",
    "Dunmore",
    "Efua",
    "Faisal",
    "Gwen",
    "Hollis",
    "Ines",
    "Jonah",
    "Keira",
    "Lorcan",
    "Mairead",
    "Nkechi",
    "Oluwaseun",
    "Priya",
    "Quentin",
    "Rhiannon",
    "Siobhan",
    "Tomasz",
    "Ulla",
    "Vikram",
    "Wren",
    "Xanthe",
    "Yusuf",
    "Zainab",
    "Aoife",
    "Bartholomew",
    "Ciaran",
    "Delphine",
    "Emeka",
    "Fenella",
    "Gideon",
]
SURNAMES = [
    "Abernethy",
    "Brathwaite",
    "Chowdhury",
    "Dimitriou",
    "Eriksen",
    "Fairweather",
    "Gallagher",
    "Hargreaves",
    "Iqbal",
    "Jablonski",
    "Kowalczyk",
    "Lindqvist",
    "Mbeki",
    "Nakamura",
    "O'Sullivan",
    "Papadopoulos",
    "Quigley",
    "Rasmussen",
    "Szczepański",
    "Thistlethwaite",
    "Underwood",
    "Vasquez-Moreno",
    "Whitfield-Aberdare",
    "Xiong",
    "Yilmaz",
    "Zielinski",
    "Ashworth",
    "Blackwood",
    "Cartwright",
    "Davenport",
    "Ellwood",
    "Fitzgerald",
    "Greenhalgh",
    "Holroyd",
]
ROLES = list(JobRole)


@dataclass(frozen=True)
class Day:
    coordinator: str
    event_id: int
    #: Someone confirmed and not yet checked in: (name, the words to search for them by).
    arriving: tuple[str, str]
    arrived: int
    confirmed: int

    @property
    def path(self) -> str:
        return f"/events/{self.event_id}/attendees"


def _trust(name: str) -> Trust:
    trust = Trust(
        name=name,
        ods_code=f"Y{uuid.uuid4().hex[:4].upper()}",
        region=region_by_slug(SLUG),
        participating=True,
    )
    db.session.add(trust)
    db.session.flush()
    return trust


def _staff(trust: Trust) -> User:
    return create_user(
        f"day.staff.{uuid.uuid4().hex[:8]}@example.org",
        Role.TRUST,
        name="Robin Booker",
        password=PASSWORD,
        trust=trust,
    )


@pytest.fixture(scope="module")
def day(default_app: Flask) -> Day:
    """34 places, up to 12 per trust: three trusts book 36 people; 10 have arrived; two of the
    first trust's people wait for its limit while two places are free."""
    with default_app.app_context():
        tag = uuid.uuid4().hex[:6]
        coordinator_email = f"day.coordinator.{tag}@example.org"
        coordinator = create_user(
            coordinator_email,
            Role.COORDINATOR,
            name="Sam Coordinator",
            password=PASSWORD,
            region=region_by_slug(SLUG),
        )
        region = region_by_slug(SLUG)
        assert region is not None
        event = create_event(
            region,
            event_values(
                title=f"Network day: normal birth {tag}",
                capacity=34,
                trust_cap=12,
                event_date=future(400),
            ),
            actor=coordinator,
        )
        publish_event(event, actor=coordinator)
        trusts = [
            _trust(f"Airedale and Wharfe Valley Hospitals NHS Foundation Trust {tag}"),
            _trust(f"Calder Royal Infirmary NHS Trust {tag}"),
            _trust(f"Humber Coast Teaching Hospitals NHS Trust {tag}"),
        ]
        sizes = (14, 12, 8)
        people = iter(zip(FIRST_NAMES, SURNAMES, strict=True))
        confirmed = []
        for trust, size in zip(trusts, sizes, strict=True):
            staff = _staff(trust)
            party = []
            for n in range(size):
                first, last = next(people)
                party.append(
                    Attendee(
                        name=f"{first} {last}",
                        email=f"{first.lower()}.{tag}.{n}@example.org",
                        job_role=ROLES[n % len(ROLES)],
                        dietary_needs="Vegetarian" if n % 5 == 0 else "",
                    )
                )
            outcomes = book_places(event, party, actor=staff)
            confirmed += [o.registration for o in outcomes if o.confirmed]
        for registration in confirmed[::3][:10]:
            assert registration is not None
            set_attended(registration, True, actor=coordinator)
        arriving = confirmed[1]
        assert arriving is not None and not arriving.attended
        found = Day(
            coordinator=coordinator_email,
            event_id=event.id,
            arriving=(arriving.attendee_name, arriving.attendee_name.split()[1][:5].lower()),
            arrived=10,
            confirmed=len(confirmed),
        )
        db.session.remove()
    return found


def rows(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#check-in-results tbody tr")


def count(page: Page, label: str):  # type: ignore[no-untyped-def]
    return (
        page.locator(".portal-check-in-counts > div")
        .filter(has=page.locator("dt", has_text=re.compile(f"^{label}$")))
        .locator("dd")
    )


def test_on_a_phone_search_filters_as_you_type_and_check_in_updates_the_count(
    new_page: NewPage, live_server: str, day: Day
) -> None:
    page = new_page(viewport=PHONE)
    sign_in(page, live_server, day.coordinator, PASSWORD)
    page.goto(f"{live_server}{day.path}")
    expect(count(page, "Arrived")).to_have_text(str(day.arrived))
    expect(count(page, "Not arrived")).to_have_text(str(day.confirmed - day.arrived))
    expect(rows(page)).to_have_count(day.confirmed + 2)
    page.evaluate("window.__marker = 1")

    name, search = day.arriving
    page.get_by_label("Search by name").press_sequentially(search, delay=40)

    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(name)
    expect(page).to_have_url(re.compile(rf"{day.path}\?q={search}&show=everyone$"))
    expect(page.locator("#check-in-status")).to_have_text(f"1 person matching “{search}”")

    page.get_by_label("Show").select_option("not-arrived")
    expect(page).to_have_url(re.compile(rf"{day.path}\?q={search}&show=not-arrived$"))
    button = page.get_by_role("button", name=f"Check in {name}")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 100  # thumb-sized
    with page.expect_response(re.compile(r"/registrations/\d+/attended$")) as answer:
        button.click()
    assert "attended=yes" in (answer.value.request.post_data or "")

    expect(rows(page).first).to_contain_text("Arrived")
    expect(count(page, "Arrived")).to_have_text(str(day.arrived + 1))
    expect(count(page, "Not arrived")).to_have_text(str(day.confirmed - day.arrived - 1))
    expect(page.get_by_role("button", name=f"Undo check-in for {name}")).to_be_focused()
    assert page.evaluate("window.__marker") == 1  # no page load: only the row and counts changed

    page.get_by_role("button", name=f"Undo check-in for {name}").click()
    expect(count(page, "Arrived")).to_have_text(str(day.arrived))
    page.get_by_label("Search by name").fill("zzzz")
    expect(page.locator("#check-in-results")).to_contain_text("No one matches “zzzz”")
    problems_of(page).assert_none()


def test_without_javascript_the_search_form_and_check_in_work(
    new_page: NewPage, live_server: str, day: Day
) -> None:
    page = new_page(viewport=PHONE, javascript=False)
    sign_in(page, live_server, day.coordinator, PASSWORD)
    page.goto(f"{live_server}{day.path}")
    name, search = day.arriving

    page.get_by_label("Search by name").fill(search)
    page.get_by_label("Show").select_option("not-arrived")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page).to_have_url(f"{live_server}{day.path}?q={search}&show=not-arrived")
    expect(rows(page)).to_have_count(1)
    page.get_by_role("button", name=f"Check in {name}").click()

    expect(page).to_have_url(
        re.compile(rf"{day.path}\?q={search}&show=not-arrived#registration-\d+$")
    )
    # They have left the "not arrived" list: the banner says what happened.
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(f"{name} is checked in.")
    expect(page.locator("#check-in-results")).to_contain_text(f"No one matches “{search}”")
    expect(count(page, "Arrived")).to_have_text(str(day.arrived + 1))

    page.get_by_label("Show").select_option("arrived")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows(page).first).to_contain_text("Arrived")
    page.get_by_role("button", name=f"Undo check-in for {name}").click()
    expect(count(page, "Arrived")).to_have_text(str(day.arrived))
    problems_of(page).assert_none()


def test_the_waiting_list_explains_and_offers_a_place(
    new_page: NewPage, live_server: str, day: Day
) -> None:
    page = new_page(viewport=PHONE)
    sign_in(page, live_server, day.coordinator, PASSWORD)
    page.goto(f"{live_server}{day.path}?show=waiting")
    expect(
        page.get_by_role("heading", name="2 places are free, but people are waiting")
    ).to_be_visible()
    expect(rows(page)).to_have_count(2)
    expect(rows(page).first).to_contain_text("their trust has used its 12 places")
    expect(rows(page).get_by_role("link", name=re.compile("^Offer a place"))).to_have_count(1)
    assert_accessible(page)


@pytest.mark.parametrize(
    ("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)], ids=["phone", "desktop"]
)
def test_event_day_screenshots(
    new_page: NewPage, live_server: str, day: Day, size: str, viewport: dict[str, int]
) -> None:
    page = new_page(viewport=viewport)
    sign_in(page, live_server, day.coordinator, PASSWORD)
    page.goto(f"{live_server}{day.path}")
    expect(count(page, "Confirmed")).to_have_text(str(day.confirmed))
    assert_accessible(page)
    check_and_save(page, f"event-day-check-in-{size}")
    if size == "phone":
        # One compact row per person (a card each was about 290 pixels).
        confirmed = page.locator("#check-in-results table").first.locator("tbody tr")
        heights = confirmed.evaluate_all("(rows) => rows.map((row) => row.offsetHeight)")
        assert len(heights) == day.confirmed
        assert sum(heights) <= 110 * len(heights) and max(heights) <= 140, heights

    page.goto(f"{live_server}/events/{day.event_id}/register")
    assert_accessible(page)
    check_and_save(page, f"event-day-register-{size}")
    if size == "desktop":
        page.emulate_media(media="print")
        expect(page.locator("header.nhsuk-header")).to_be_hidden()
        expect(page.locator("footer.nhsuk-footer")).to_be_hidden()
        expect(page.locator(".portal-register__table tbody tr")).to_have_count(3 + day.confirmed)
        page.screenshot(
            path=SCREENSHOTS / "event-day-register-print.png", full_page=True, animations="disabled"
        )
    problems_of(page).assert_none()
