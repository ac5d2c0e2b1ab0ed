"""Booking places in the browser: trust staff book, change their mind and withdraw; the waiting
list moves; a coordinator checks people in; an attendee withdraws through their own link; every
booking page passes axe; trust staff book with the keyboard alone; screenshots for a person to read.

Each test works on people, trusts and events of its own, made in the live server's database in
regions that no demo event fills and no other browser test plans events in (South East Coast,
Yorkshire and the Humber), so the tests need no particular order and leave the demo bookings alone.
Four events are made in all, two per region: within the three a region may hold each year.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, Response, expect

from portal.auth.models import Role, User
from portal.auth.service import create_user
from portal.events.models import NetworkEvent
from portal.events.service import create_event, publish_event
from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from portal.registrations.links import self_service_token
from portal.registrations.models import JobRole
from portal.registrations.service import Attendee, book_places, set_attended, withdraw
from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    check_and_save,
    problems_of,
    scripts_have_run,
    sign_in,
)
from tests.events.helpers import event_values, future
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

SOUTH_EAST_COAST = "south-east-coast"
YORKSHIRE = "yorkshire-and-the-humber"


# --- Arrange: people, trusts and events of the tests' own --------------------------------------


@dataclass(frozen=True)
class Cast:
    """A coordinator, a trust with one member of staff, and a published event in one region."""

    slug: str
    coordinator: str
    staff: str
    trust: str
    event_id: int
    title: str

    @property
    def event_path(self) -> str:
        return f"/events/{self.event_id}"


def short_id() -> str:
    return uuid.uuid4().hex[:8]


def new_trust(slug: str) -> Trust:
    """A participating trust in the region, with an ODS code no demo trust uses."""
    trust = Trust(
        name=f"Browser Booking NHS Trust {short_id()}",
        ods_code=f"Q{uuid.uuid4().hex[:4].upper()}",
        region=region_by_slug(slug),
        participating=True,
    )
    db.session.add(trust)
    db.session.flush()
    return trust


def new_staff(slug: str) -> tuple[str, str]:
    """Trust staff of a new trust in the region (inside an app context): (e-mail, trust name)."""
    trust = new_trust(slug)
    email = f"browser.staff.{short_id()}@example.org"
    create_user(email, Role.TRUST, name="Robin Booker", password=PASSWORD, trust=trust)
    db.session.commit()
    return email, trust.name


def new_cast(slug: str, *, capacity: int, title: str) -> Cast:
    """Make a cast (inside an app context): the event is published, 60 days ahead."""
    coordinator_email = f"browser.coordinator.{slug}.{short_id()}@example.org"
    coordinator = create_user(
        coordinator_email,
        Role.COORDINATOR,
        name="Sam Coordinator",
        password=PASSWORD,
        region=region_by_slug(slug),
    )
    db.session.commit()
    staff, trust = new_staff(slug)
    region = region_by_slug(slug)
    assert region is not None
    title = f"{title} {short_id()}"
    event = create_event(
        region,
        event_values(title=title, capacity=capacity, event_date=future(60)),
        actor=coordinator,
    )
    publish_event(event, actor=coordinator)
    return Cast(slug, coordinator_email, staff, trust, event.id, title)


def user(email: str) -> User:
    found = db.session.scalar(db.select(User).where(User.email == email))
    assert found is not None
    return found


def event_of(cast: Cast) -> NetworkEvent:
    found = db.session.get(NetworkEvent, cast.event_id)
    assert found is not None
    return found


MakeCast = Callable[..., Cast]


@pytest.fixture
def make_cast(default_app: Flask) -> MakeCast:
    """Make a cast for this test alone: `make_cast(slug, capacity=2)`."""

    def make(slug: str, *, capacity: int = 2) -> Cast:
        with default_app.app_context():
            cast = new_cast(slug, capacity=capacity, title="Booking journey")
            db.session.remove()
        return cast

    return make


@pytest.fixture
def make_staff(default_app: Flask) -> Callable[[str], str]:
    """Make trust staff of a new trust in the region `slug`; return their e-mail address."""

    def make(slug: str) -> str:
        with default_app.app_context():
            email, _ = new_staff(slug)
            db.session.remove()
        return email

    return make


@dataclass(frozen=True)
class Scenery:
    """An event with bookings in every state, to look at (and never change) in many tests."""

    cast: Cast
    #: The attendees' names and their registrations' ids.
    confirmed: dict[str, int]
    waiting: dict[str, int]
    token: str


SCENERY_PEOPLE = [
    ("Ada Okafor", JobRole.MIDWIFE, "Step-free access, please", "Vegetarian"),
    ("Bea Lindqvist", JobRole.OBSTETRICIAN, "", ""),
    ("Cyrus Farahani-Whitlock", JobRole.HEAD_OF_MIDWIFERY, "", "No nuts"),
    ("Dana Petrov", JobRole.SERVICE_USER_REPRESENTATIVE, "", ""),
    ("Eli Moreau", JobRole.CONSULTANT_MIDWIFE, "", ""),
]


@pytest.fixture(scope="module")
def scenery(default_app: Flask) -> Scenery:
    """South East Coast, 3 places: three confirmed (one checked in), one waiting, one withdrawn."""
    with default_app.app_context():
        cast = new_cast(SOUTH_EAST_COAST, capacity=3, title="Breech babies: sharing practice")
        staff, coordinator = user(cast.staff), user(cast.coordinator)
        outcomes = book_places(
            event_of(cast),
            [
                Attendee(
                    name=name,
                    email=f"{name.split()[0].lower()}.{short_id()}@example.org",
                    job_role=role,
                    access_needs=access,
                    dietary_needs=diet,
                )
                for name, role, access, diet in SCENERY_PEOPLE
            ],
            actor=staff,
        )
        registrations = [o.registration for o in outcomes if o.registration is not None]
        assert len(registrations) == len(SCENERY_PEOPLE)
        set_attended(registrations[1], True, actor=coordinator)
        withdraw(registrations[4], by="trust", actor=staff)
        scenery = Scenery(
            cast=cast,
            confirmed={r.attendee_name: r.id for r in registrations[:3]},
            waiting={registrations[3].attendee_name: registrations[3].id},
            token=self_service_token(registrations[0]),
        )
        db.session.remove()
    return scenery


@pytest.fixture(scope="module")
def self_service_cast(default_app: Flask) -> Cast:
    """Yorkshire and the Humber, 40 places, for tests that book or withdraw one person each."""
    with default_app.app_context():
        cast = new_cast(YORKSHIRE, capacity=40, title="Robson groups in practice")
        db.session.remove()
    return cast


@pytest.fixture
def self_service_link(default_app: Flask, self_service_cast: Cast) -> str:
    """The path of a confirmed attendee's self-service page, booked for this test alone."""
    with default_app.app_context():
        [outcome] = book_places(
            event_of(self_service_cast),
            [
                Attendee(
                    name="Kit Attendee",
                    email=f"kit.{short_id()}@example.org",
                    job_role=JobRole.MIDWIFE,
                )
            ],
            actor=user(self_service_cast.staff),
        )
        assert outcome.confirmed and outcome.registration is not None
        token = self_service_token(outcome.registration)
        db.session.remove()
    return f"/bookings/self-service/{token}"


# --- Helpers -------------------------------------------------------------------------------------


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def success_banner(page: Page) -> Locator:
    return page.locator(".nhsuk-notification-banner--success")


def person(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=f"Person {number}", exact=True)


def fill_person(page: Page, number: int, name: str, email: str, role: str = "Midwife") -> None:
    fieldset = person(page, number)
    fieldset.get_by_label("Full name").fill(name)
    fieldset.get_by_label("Work e-mail address").fill(email)
    fieldset.get_by_label("Job role").select_option(label=role)


def row_of(page: Page, name: str) -> Locator:
    return page.get_by_role("row").filter(has_text=name)


def booking_of(page: Page, name: str) -> Locator:
    """A person on the trust's bookings page (one line each, grouped by event)."""
    return page.locator(".portal-booking").filter(has_text=name)


@dataclass(frozen=True)
class Party:
    """Three people to book at a 2-place event: the third waits."""

    names: tuple[str, str, str]
    emails: tuple[str, str, str]

    @classmethod
    def new(cls) -> Party:
        tag = short_id()
        return cls(
            names=(f"Ama Mensah {tag}", f"Ben Hughes {tag}", f"Cai Jones {tag}"),
            emails=(f"ama.{tag}@example.org", f"ben.{tag}@example.org", f"cai.{tag}@example.org"),
        )


# --- 1 and 2: book, withdraw, the waiting list moves, check in ------------------------------------


def book_three(page: Page, live_server: str, cast: Cast, party: Party, *, javascript: bool) -> None:
    """Trust staff book three people at a 2-place event; two are confirmed, one waits."""
    sign_in(page, live_server, cast.staff, PASSWORD)
    page.goto(f"{live_server}{cast.event_path}")
    card = page.locator("#booking")
    expect(card).to_contain_text("2 of 2 places left.")
    card.get_by_role("link", name="Book places").click()
    expect(page).to_have_url(f"{live_server}{cast.event_path}/book")
    expect(heading(page)).to_have_text("Book places")
    scripts_have_run(page)
    expect(page.locator("#places-left")).to_have_text("2 of 2 places left.")
    expect(person(page, 1)).to_be_visible()
    expect(person(page, 2)).to_have_count(0)

    fill_person(page, 1, party.names[0], party.emails[0])
    add_person = page.get_by_role("button", name="Add another person")
    if javascript:
        page.evaluate("window.__marker = 1")
        with page.expect_response(re.compile(r"/book/person\?index=1(&|$)")) as answer:
            add_person.click()
        assert answer.value.request.headers.get("hx-request") == "true"
        expect(person(page, 2)).to_be_visible()
        # A new person's row arrives without a page load.
        assert page.evaluate("window.__marker") == 1
    else:
        # A plain submit button: the form goes back to the server, which adds a row.
        with page.expect_response(lambda response: response.request.method == "POST") as answer:
            add_person.click()
        assert answer.value.url == f"{live_server}{cast.event_path}/book"
        assert "add_person=1" in (answer.value.request.post_data or "")
        expect(person(page, 2)).to_be_visible()
    # Either way, the cursor waits in the new person's name.
    expect(person(page, 2).get_by_label("Full name")).to_be_focused()
    # What was typed for Person 1 is kept either way.
    first = person(page, 1)
    expect(first.get_by_label("Full name")).to_have_value(party.names[0])
    expect(first.get_by_label("Work e-mail address")).to_have_value(party.emails[0])
    expect(first.get_by_label("Job role")).to_have_value("midwife")
    fill_person(page, 2, party.names[1], party.emails[1], role="Obstetrician")

    page.get_by_role("button", name="Add another person").click()
    expect(person(page, 3)).to_be_visible()
    fill_person(page, 3, party.names[2], party.emails[2], role="Service manager")
    expect(person(page, 2).get_by_label("Full name")).to_have_value(party.names[1])
    page.get_by_role("button", name="Book places", exact=True).click()

    expect(page).to_have_url(f"{live_server}{cast.event_path}/booked")
    expect(heading(page)).to_have_text("What happened to each booking")
    results = page.locator("main").get_by_role("listitem")
    for name, outcome in zip(party.names, ("Confirmed", "Confirmed", "Waiting list"), strict=True):
        expect(results.filter(has_text=name)).to_contain_text(outcome)
    expect(page.locator("main .nhsuk-tag").filter(has_text="Confirmed")).to_have_count(2)
    expect(page.locator("main .nhsuk-tag").filter(has_text="Waiting list")).to_have_count(1)


def withdraw_the_first(page: Page, live_server: str, cast: Cast, party: Party) -> None:
    """From "Bookings" in the header: withdraw the first person, a confirmed one."""
    page.locator("header").get_by_role("link", name="Bookings", exact=True).click()
    expect(page).to_have_url(f"{live_server}/bookings")
    expect(heading(page)).to_have_text("Your trust's bookings")
    for name, status in zip(party.names, ("Confirmed", "Confirmed", "Waiting list"), strict=True):
        expect(booking_of(page, name)).to_contain_text(status)

    booking_of(page, party.names[0]).get_by_role("link", name=re.compile(r"^Withdraw")).click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+/withdraw$"))
    expect(heading(page)).to_have_text(f"Withdraw {party.names[0]}?")
    expect(page.get_by_text("Their place will go to the next person")).to_be_visible()
    page.get_by_role("button", name="Withdraw booking").click()

    expect(page).to_have_url(f"{live_server}/bookings")
    expect(success_banner(page)).to_contain_text(f"{party.names[0]}'s booking has been withdrawn.")
    # Folded away under "Withdrawn or removed".
    expect(page.locator("details").filter(has_text="Withdrawn or removed (1)")).to_have_count(1)
    expect(booking_of(page, party.names[0])).to_contain_text("Withdrawn")
    # The place went to the person who was waiting.
    expect(booking_of(page, party.names[2])).to_contain_text("Confirmed")


def check_in_and_undo(page: Page, live_server: str, cast: Cast, party: Party, *, js: bool) -> None:
    """The coordinator sees the waiting list moved, checks the promoted person in, then undoes."""
    sign_in(page, live_server, cast.coordinator, PASSWORD)
    page.goto(f"{live_server}{cast.event_path}")
    page.get_by_role("link", name="See attendees and check people in").click()
    expect(page).to_have_url(f"{live_server}{cast.event_path}/attendees")
    expect(heading(page)).to_have_text(f"Attendees: {cast.title}")

    confirmed = page.get_by_role("table", name="Confirmed places")
    expect(confirmed.get_by_role("row").filter(has_text=party.names[1])).to_have_count(1)
    expect(confirmed.get_by_role("row").filter(has_text=party.names[2])).to_have_count(1)
    expect(confirmed.get_by_role("row").filter(has_text=party.names[0])).to_have_count(0)
    expect(page.get_by_role("table", name=re.compile("^Waiting list"))).to_have_count(0)
    expect(page.locator(".portal-check-in-counts div").filter(has_text="Waiting")).to_have_text(
        "Waiting0"
    )
    expect(page.get_by_role("heading", name="Withdrawn and removed (1)")).to_be_visible()
    count = page.locator("#attended-count")
    expect(count).to_have_text("0")
    csv_link = page.get_by_role("link", name="Download the attendee list (CSV)")
    expect(csv_link).to_have_attribute("href", f"{cast.event_path}/attendees.csv")
    if js:
        with page.expect_download() as download:
            csv_link.click()
        rows = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
        statuses = {row["name"]: row["status"] for row in rows}
        assert statuses == dict(
            zip(party.names, ("Withdrawn", "Confirmed", "Confirmed"), strict=True)
        ), rows

    promoted = row_of(page, party.names[2])
    if js:
        page.evaluate("window.__marker = 1")
        with page.expect_response(re.compile(r"/registrations/\d+/attended$")) as answer:
            promoted.get_by_role("button", name=f"Check in {party.names[2]}").click()
        assert answer.value.request.headers.get("hx-request") == "true"
        assert "attended=yes" in (answer.value.request.post_data or "")
    else:
        promoted.get_by_role("button", name=f"Check in {party.names[2]}").click()
        expect(page).to_have_url(re.compile(rf"{cast.event_path}/attendees#registration-\d+$"))
    expect(promoted).to_contain_text("Arrived")
    expect(count).to_have_text("1")
    undo = promoted.get_by_role("button", name=f"Undo check-in for {party.names[2]}")
    if js:
        # The row was replaced under the keyboard focus: it stays on the row's button.
        expect(undo).to_be_focused()
    expect(row_of(page, party.names[1])).not_to_contain_text("Arrived")

    undo.click()
    check_in = promoted.get_by_role("button", name=f"Check in {party.names[2]}")
    expect(check_in).to_be_visible()
    if js:
        expect(check_in).to_be_focused()
    expect(promoted).not_to_contain_text("Arrived")
    expect(count).to_have_text("0")
    if js:
        # Only the row and the count changed: no page load.
        assert page.evaluate("window.__marker") == 1
        expect(page.locator("header.nhsuk-header")).to_have_count(1)
        expect(heading(page)).to_have_count(1)


def test_trust_staff_book_withdraw_and_a_coordinator_checks_in(
    new_page: NewPage, live_server: str, make_cast: MakeCast
) -> None:
    cast = make_cast(SOUTH_EAST_COAST, capacity=2)
    party = Party.new()
    staff = new_page()
    book_three(staff, live_server, cast, party, javascript=True)
    withdraw_the_first(staff, live_server, cast, party)
    problems_of(staff).assert_none()

    coordinator = new_page()
    check_in_and_undo(coordinator, live_server, cast, party, js=True)
    problems_of(coordinator).assert_none()


def test_trust_staff_book_withdraw_and_a_coordinator_checks_in_without_javascript(
    new_page: NewPage, live_server: str, make_cast: MakeCast
) -> None:
    cast = make_cast(YORKSHIRE, capacity=2)
    party = Party.new()
    staff = new_page(javascript=False)
    book_three(staff, live_server, cast, party, javascript=False)
    withdraw_the_first(staff, live_server, cast, party)

    coordinator = new_page(javascript=False)
    check_in_and_undo(coordinator, live_server, cast, party, js=False)


# --- 3: validation ---------------------------------------------------------------------------------


def open_booking_form(page: Page, live_server: str, scenery: Scenery, staff: str) -> None:
    sign_in(page, live_server, staff, PASSWORD)
    page.goto(f"{live_server}{scenery.cast.event_path}/book")
    expect(person(page, 1)).to_be_visible()


def submit_a_bad_person(page: Page) -> Response:
    """Person 1 with no name and an e-mail address that is not one."""
    fieldset = person(page, 1)
    fieldset.get_by_label("Work e-mail address").fill("not-an-email-address")
    fieldset.get_by_label("Job role").select_option(label="Midwife")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Book places", exact=True).click()
    return answer.value


NAME_ERROR = "Person 1: Enter the attendee's full name"
EMAIL_ERROR = "Person 1: Enter a work e-mail address in the correct format, like name@nhs.net"


def assert_errors_shown(page: Page) -> None:
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name=NAME_ERROR)).to_have_attribute(
        "href", "#attendees-0-name"
    )
    expect(summary.get_by_role("link", name=EMAIL_ERROR)).to_have_attribute(
        "href", "#attendees-0-email"
    )
    messages = person(page, 1).locator(".nhsuk-error-message")
    expect(messages).to_have_count(2)
    expect(messages.nth(0)).to_contain_text("Enter the attendee's full name")
    expect(messages.nth(1)).to_contain_text("Enter a work e-mail address in the correct format")
    expect(person(page, 1).get_by_label("Work e-mail address")).to_have_value(
        "not-an-email-address"
    )
    expect(person(page, 1).get_by_label("Job role")).to_have_value("midwife")


def assert_nothing_booked(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/bookings")
    expect(page.get_by_text("Your trust has not booked any places yet.")).to_be_visible()


def test_a_bad_person_is_refused_in_place(
    page: Page, live_server: str, scenery: Scenery, make_staff: Callable[[str], str]
) -> None:
    open_booking_form(page, live_server, scenery, make_staff(SOUTH_EAST_COAST))
    form_url = page.url
    page.evaluate("window.__marker = 1")
    answer = submit_a_bad_person(page)

    assert answer.status == 422
    assert answer.request.headers.get("hx-request") == "true"
    assert_errors_shown(page)
    # The form was replaced in place.
    assert page.evaluate("window.__marker") == 1
    expect(page.locator("#booking-form")).to_have_count(1)
    expect(heading(page)).to_have_count(1)
    page.locator(".nhsuk-error-summary").get_by_role("link", name=EMAIL_ERROR).click()
    expect(person(page, 1).get_by_label("Work e-mail address")).to_be_focused()
    expect(page).to_have_url(re.compile(rf"^{re.escape(form_url)}(#attendees-0-email)?$"))

    assert_nothing_booked(page, live_server)
    problems = problems_of(page)
    problems.expect(r"status of 422")
    problems.assert_none()


def test_a_bad_person_is_refused_without_javascript(
    page_no_js: Page, live_server: str, scenery: Scenery, make_staff: Callable[[str], str]
) -> None:
    page = page_no_js
    open_booking_form(page, live_server, scenery, make_staff(SOUTH_EAST_COAST))
    answer = submit_a_bad_person(page)
    assert answer.status == 422
    assert answer.request.headers.get("hx-request") is None
    assert_errors_shown(page)
    assert_nothing_booked(page, live_server)


# --- 4: the attendee's own page -------------------------------------------------------------------


def withdraw_myself(page: Page, live_server: str, link: str) -> None:
    page.goto(f"{live_server}{link}")
    expect(heading(page)).to_contain_text("Robson groups in practice")
    status = page.get_by_role("definition").filter(has=page.locator(".nhsuk-tag"))
    expect(status).to_contain_text("Confirmed")
    expect(status).to_contain_text("You have a place.")
    page.get_by_role("button", name="Withdraw from this event").click()

    expect(page).to_have_url(f"{live_server}{link}")
    expect(success_banner(page)).to_contain_text("You have withdrawn.")
    expect(status).to_contain_text("Withdrawn")
    expect(status).to_contain_text("You no longer have a booking.")
    expect(page.get_by_role("button", name="Withdraw from this event")).to_have_count(0)


def test_an_attendee_withdraws_through_their_own_link(
    page: Page, live_server: str, self_service_link: str
) -> None:
    withdraw_myself(page, live_server, self_service_link)
    problems_of(page).assert_none()


def test_an_attendee_withdraws_through_their_own_link_without_javascript(
    page_no_js: Page, live_server: str, self_service_link: str
) -> None:
    withdraw_myself(page_no_js, live_server, self_service_link)


def test_an_attendee_is_not_told_of_a_waiting_list_that_is_empty(
    page: Page, live_server: str, self_service_link: str
) -> None:
    """No one waits at this event (40 places): withdrawing promotes no one, so says nothing of it."""
    page.goto(f"{live_server}{self_service_link}")
    page.get_by_role("button", name="Withdraw from this event").click()
    expect(success_banner(page)).to_contain_text("You have withdrawn.")
    assert "waiting list" not in success_banner(page).inner_text()


# --- 5: accessibility ------------------------------------------------------------------------------

Scene = Callable[[Page, str, Scenery, Cast], None]


def _goto(path: str, who: str | None = None) -> Scene:
    """Open `path` (formatted with the scenery's ids) as "staff", "coordinator" or anyone."""

    def scene(page: Page, base: str, scenery: Scenery, other: Cast) -> None:
        cast = scenery.cast
        if who is not None:
            sign_in(page, base, getattr(cast, who), PASSWORD)
        ids = {
            "event": cast.event_path,
            "confirmed": scenery.confirmed["Ada Okafor"],
            "waiting": scenery.waiting["Dana Petrov"],
            "token": scenery.token,
        }
        response = page.goto(f"{base}{path.format(**ids)}")
        assert response is not None and response.status == 200

    return scene


def _booking_form_with_errors(page: Page, base: str, scenery: Scenery, other: Cast) -> None:
    _goto("{event}/book", "staff")(page, base, scenery, other)
    page.get_by_role("button", name="Add another person").click()
    expect(person(page, 2)).to_be_visible()
    person(page, 2).get_by_label("Work e-mail address").fill("not-an-email-address")
    page.get_by_role("button", name="Book places", exact=True).click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Person 2:")
    problems_of(page).expect(r"status of 422")


def _booked(page: Page, base: str, scenery: Scenery, other: Cast) -> None:
    """The result page, after booking one person at the roomy event of `other`."""
    sign_in(page, base, other.staff, PASSWORD)
    page.goto(f"{base}{other.event_path}/book")
    fill_person(page, 1, "Lee Booked", f"lee.{short_id()}@example.org")
    page.get_by_role("button", name="Book places", exact=True).click()
    # Everyone booked has a place: the NHS confirmation panel says so.
    expect(heading(page)).to_have_text("1 place booked")


def _booked_reloaded(page: Page, base: str, scenery: Scenery, other: Cast) -> None:
    """The result page loaded whole (as without JavaScript), to judge its own markup."""
    _booked(page, base, scenery, other)
    page.reload()
    expect(heading(page)).to_have_text("1 place booked")
    expect(page.locator("main .nhsuk-tag")).to_have_text("Confirmed")


SCENES: dict[str, Scene] = {
    "event-anyone": _goto("{event}"),
    "event-trust-staff": _goto("{event}", "staff"),
    "event-coordinator": _goto("{event}", "coordinator"),
    "booking-form": _goto("{event}/book", "staff"),
    "booking-form-errors": _booking_form_with_errors,
    "booked": _booked,
    "booked-reloaded": _booked_reloaded,
    "bookings": _goto("/bookings", "staff"),
    "withdraw": _goto("/bookings/{confirmed}/withdraw", "staff"),
    "withdraw-waiting": _goto("/bookings/{waiting}/withdraw", "staff"),
    "change": _goto("/bookings/{confirmed}/change", "staff"),
    "self-service": _goto("/bookings/self-service/{token}"),
    "attendees": _goto("{event}/attendees", "coordinator"),
    "remove": _goto("/registrations/{confirmed}/remove", "coordinator"),
}


def _scene_params() -> list[Any]:
    params = []
    for scene in SCENES:
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            params.append(pytest.param(scene, viewport, id=f"{scene}-{size}"))
    return params


@pytest.mark.parametrize(("scene", "viewport"), _scene_params())
def test_booking_page_is_accessible(
    new_page: NewPage,
    live_server: str,
    scenery: Scenery,
    self_service_cast: Cast,
    scene: str,
    viewport: dict[str, int],
) -> None:
    page = new_page(viewport=viewport)
    SCENES[scene](page, live_server, scenery, self_service_cast)
    assert_accessible(page)
    problems_of(page).assert_none()


# --- 6: keyboard only ------------------------------------------------------------------------------

#: The focused element as a test can name it: "#" and its id, or else its text.
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return "";
  return element.id ? `#${element.id}` : element.textContent.trim().replace(/\\s+/g, " ");
}"""

#: Remember what every live region says, to see later which changed (and stayed on the page).
WATCH_LIVE_REGIONS = """() => {
  window.__liveRegions = new Map(
    Array.from(document.querySelectorAll("[role=status], [role=alert], [aria-live]"))
      .filter((element) => element.getAttribute("aria-live") !== "off")
      .map((element) => [element, element.textContent])
  );
}"""

ANNOUNCED = """(words) => Array.from(window.__liveRegions).some(
  ([element, before]) =>
    element.isConnected && element.textContent !== before && element.textContent.includes(words)
)"""


def focused(page: Page) -> str:
    return str(page.evaluate(FOCUSED))


def tab_to(page: Page, target: str, *, limit: int = 150) -> None:
    """Press Tab until `target` (an "#id" or a text, as FOCUSED names it) has the focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if seen[-1] == target:
            return
    pytest.fail(f"Tab never reached {target!r}; it went through {seen}")


def tab_expecting(page: Page, target: str) -> None:
    """Press Tab once: the focus must move to `target`."""
    page.keyboard.press("Tab")
    assert focused(page) == target


def follow(page: Page, link: str, heading_text: str | re.Pattern[str]) -> None:
    """Tab to a link or button by its text, press Enter, and wait for the next page."""
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(heading_text)


def type_person(page: Page, index: int, name: str, email: str, role: str) -> None:
    """Starting in the person's name: type each field, moving on with Tab, in the form's order.

    Leaves the focus in their dietary needs. An empty `email` is skipped over.
    """
    prefix = f"#attendees-{index}-"
    assert focused(page) == f"{prefix}name"
    page.keyboard.type(name)
    tab_expecting(page, f"{prefix}email")
    page.keyboard.type(email)
    tab_expecting(page, f"{prefix}job_role")
    page.keyboard.type(role)  # a closed select picks the first option that starts so
    tab_expecting(page, f"{prefix}access_needs")
    tab_expecting(page, f"{prefix}dietary_needs")


def book_by_keyboard(
    page: Page, live_server: str, cast: Cast, staff: str, *, javascript: bool
) -> None:
    """Trust staff find the event and book two people without touching the mouse."""
    tag = short_id()
    names = (f"Kai Keyboard {tag}", f"Lou Keyboard {tag}")
    emails = (f"kai.{tag}@example.org", f"lou.{tag}@example.org")
    sign_in(page, live_server, staff, PASSWORD)

    # The header's home link, then "Book places" beside the event on the trust's home.
    follow(page, "NHS Caesarean section network", "Your trust’s network")
    follow(page, f"Book places at {cast.title}", "Book places")
    expect(page).to_have_url(f"{live_server}{cast.event_path}/book")

    # The form in reading order: the person's fields, "Add another person", "Book places".
    tab_to(page, "#attendees-0-name")
    type_person(page, 0, names[0], emails[0], "Midwife")
    expect(person(page, 1).get_by_label("Job role")).to_have_value("midwife")
    tab_expecting(page, "#add-person")
    page.evaluate(WATCH_LIVE_REGIONS)
    if javascript:
        with page.expect_response(re.compile(r"/book/person\?index=1(&|$)")):
            page.keyboard.press("Enter")
    else:
        with page.expect_navigation():
            page.keyboard.press("Enter")
    expect(person(page, 2)).to_be_visible()
    # The focus waits in the new person's name, and (with htmx, which loads no new page to be
    # read out) a live region says what happened.
    expect(person(page, 2).get_by_label("Full name")).to_be_focused()
    if javascript:
        page.wait_for_function(ANNOUNCED, arg="Person 2 added.")
    expect(person(page, 1).get_by_label("Full name")).to_have_value(names[0])

    if javascript:
        # Person 2 without an e-mail address: the form comes back with its errors, in place.
        type_person(page, 1, names[1], "", "Obstetrician")
        tab_expecting(page, "#add-person")
        tab_expecting(page, "Book places")
        with page.expect_response(lambda response: response.request.method == "POST") as sent:
            page.keyboard.press("Enter")
        assert sent.value.status == 422
        summary = page.locator(".nhsuk-error-summary")
        expect(summary).to_be_focused()
        expect(page).to_have_title(re.compile(r"^Error: Book places: "))
        # From the summary's link to the field, and put it right.
        page.keyboard.press("Tab")
        assert focused(page).startswith("Person 2: Enter")
        page.keyboard.press("Enter")
        expect(person(page, 2).get_by_label("Work e-mail address")).to_be_focused()
        page.keyboard.type(emails[1])
        problems_of(page).expect(r"status of 422")
    else:
        type_person(page, 1, names[1], emails[1], "Obstetrician")
        for _ in range(3):  # back from the needs (text areas, where Enter is a new line)
            page.keyboard.press("Shift+Tab")
    # Enter in a text field books, as it would in any form: it does not add another person.
    assert focused(page) == "#attendees-1-email"
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server}{cast.event_path}/booked")
    expect(heading(page)).to_have_text(f"{len(names)} places booked")
    expect(page).not_to_have_title(re.compile(r"^Error: "))
    results = page.locator("main").get_by_role("listitem")
    for name in names:
        expect(results.filter(has_text=name)).to_contain_text("Confirmed")


def test_trust_staff_book_places_with_the_keyboard_only(
    page: Page, live_server: str, self_service_cast: Cast, make_staff: Callable[[str], str]
) -> None:
    book_by_keyboard(page, live_server, self_service_cast, make_staff(YORKSHIRE), javascript=True)
    problems_of(page).assert_none()


def test_trust_staff_book_places_with_the_keyboard_only_without_javascript(
    page_no_js: Page, live_server: str, self_service_cast: Cast, make_staff: Callable[[str], str]
) -> None:
    book_by_keyboard(
        page_no_js, live_server, self_service_cast, make_staff(YORKSHIRE), javascript=False
    )


# --- 7: screenshots --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)], ids=["phone", "desktop"]
)
def test_booking_screenshots(
    new_page: NewPage, live_server: str, scenery: Scenery, size: str, viewport: dict[str, int]
) -> None:
    cast = scenery.cast
    staff = new_page(viewport=viewport)
    sign_in(staff, live_server, cast.staff, PASSWORD)
    staff.goto(f"{live_server}{cast.event_path}/book")
    fill_person(staff, 1, "Nia Whitfield-Aberdare", "nia.whitfield-aberdare@example.org")
    staff.get_by_role("button", name="Add another person").click()
    expect(person(staff, 2)).to_be_visible()
    check_and_save(staff, f"booking-form-{size}")

    staff.goto(f"{live_server}/bookings")
    expect(heading(staff)).to_have_text("Your trust's bookings")
    check_and_save(staff, f"bookings-{size}")
    problems_of(staff).assert_none()

    coordinator = new_page(viewport=viewport)
    sign_in(coordinator, live_server, cast.coordinator, PASSWORD)
    coordinator.goto(f"{live_server}{cast.event_path}/attendees")
    expect(coordinator.locator("#attended-count")).to_have_text("1")
    check_and_save(coordinator, f"attendees-{size}")
    problems_of(coordinator).assert_none()
