"""Network events in the browser: a coordinator plans, publishes, changes and cancels an event;
anyone filters the public list; every events page passes axe; screenshots for a person to read.

Tests that plan events sign in as a coordinator of their own, made for the test in a region that
no demo event uses and no other test plans in, so they need no particular order.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from portal.auth.models import Role
from portal.demo import DEMO_PASSWORD
from portal.events.models import NetworkEvent
from portal.extensions import db
from portal.web.dates import today_in_london
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
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

viewports = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])

LONDON = "coordinator.london@example.org"
NORTH_EAST = "coordinator.north-east@example.org"
ADMIN = "admin@example.org"

PUBLISHED = "London network day: leadership for normal birth"
CANCELLED = "Organisational characteristics workshop"
DRAFT = "Elective caesarean section: reviewing the decisions"
NORTH_EAST_EVENTS = [
    "Normal birth: what the first year taught us",
    "Vaginal birth after caesarean: supporting women's choices",
    "First pregnancies and labour: sharing practice",
]
PAST = "South West launch event"

MakeCoordinator = Callable[[str], str]


# --- Arrange -------------------------------------------------------------------------------


@pytest.fixture
def make_coordinator(default_app: Flask) -> MakeCoordinator:
    """Make a coordinator of the region `slug`, new to this test; return their e-mail address."""

    def make(slug: str) -> str:
        email = f"browser.coordinator.{slug}.{uuid.uuid4().hex[:8]}@example.org"
        with default_app.app_context():
            make_user(Role.COORDINATOR, email, region_slug=slug, name=f"Sam Coordinator {slug}")
            db.session.remove()
        return email

    return make


@pytest.fixture(scope="module")
def demo_event(default_app: Flask) -> dict[str, str]:
    """The path of each demo event's page, by its title."""
    with default_app.app_context():
        rows = db.session.execute(
            select(NetworkEvent.title, NetworkEvent.id).where(NetworkEvent.is_demo)
        ).all()
        db.session.remove()
    return {title: f"/events/{event_id}" for title, event_id in rows}


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def fill_event_form(page: Page, *, title: str, day: date) -> None:
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Summary", exact=True).fill(
        "Two trusts show how they cut elective caesarean sections for breech babies."
    )
    page.locator("#event_date-day").fill(str(day.day))
    page.locator("#event_date-month").fill(str(day.month))
    page.locator("#event_date-year").fill(str(day.year))
    page.get_by_label("Start time", exact=True).fill("09:30")
    page.get_by_label("End time", exact=True).fill("16:00")
    page.get_by_label("Venue name", exact=True).fill("Leeds Conference Centre")
    page.get_by_label("Venue address", exact=True).fill("1 Park Row\nLeeds")
    page.get_by_label("Venue postcode", exact=True).fill("LS1 4AP")
    page.get_by_label("Places", exact=True).fill("40")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def success_banner(page: Page) -> Locator:
    return page.locator(".nhsuk-notification-banner--success")


# --- 1 and 2: plan, publish, change and cancel an event --------------------------------------


def plan_publish_change_and_cancel(page: Page, live_server: str, email: str) -> None:
    """The coordinator's whole journey; the same steps with JavaScript on or off."""
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server}/manage/events")
    # The region's demo events leave it room for one more.
    expect(page.locator("#allowance")).to_have_text(re.compile(r"^[0-2] of 3 events planned for"))

    # Plan: the event is saved as a draft, and the page says so.
    page.get_by_role("link", name="Plan an event", exact=True).click()
    expect(heading(page)).to_have_text("Plan a network event")
    scripts_have_run(page)
    title = unique("Breech babies: choices before an elective caesarean")
    fill_event_form(page, title=title, day=today_in_london() + timedelta(days=60))
    page.get_by_role("button", name="Save as draft").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/events/\d+$"))
    event_url = page.url
    expect(success_banner(page)).to_contain_text("Event saved as a draft")
    expect(heading(page)).to_contain_text(title)
    callout = page.locator(".nhsuk-warning-callout")
    expect(callout).to_contain_text("Draft – not published")

    # Publish: asked first, with the trusts to tell; then the draft callout goes.
    callout.get_by_role("link", name="Publish event").click()
    expect(heading(page)).to_have_text("Publish this event")
    scripts_have_run(page)
    expect(page.get_by_label("Tell the trusts that can book, by e-mail")).to_be_checked()
    page.get_by_role("button", name="Publish event").click()
    expect(success_banner(page)).to_contain_text("The event is published")
    expect(page.get_by_text("Draft – not published")).to_have_count(0)
    expect(page).to_have_url(event_url)

    # Change the title.
    page.get_by_role("link", name="Change the details").click()
    expect(heading(page)).to_have_text("Change event details")
    scripts_have_run(page)
    expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    new_title = unique("Breech babies: reviewing elective caesarean decisions")
    page.get_by_label("Title", exact=True).fill(new_title)
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(event_url)
    expect(success_banner(page)).to_contain_text("Your changes have been saved.")
    expect(heading(page)).to_contain_text(new_title)

    # Cancel: no reason is refused, on the same page.
    page.get_by_role("link", name="Cancel this event").click()
    cancel_url = f"{event_url}/cancel"
    expect(page).to_have_url(cancel_url)
    expect(heading(page)).to_have_text("Cancel this event")
    scripts_have_run(page)
    with page.expect_response(cancel_url) as answer:
        page.get_by_role("button", name="Cancel event", exact=True).click()
    assert answer.value.status == 422
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter the reason for cancelling")
    expect(page.locator(".nhsuk-error-message")).to_contain_text("Enter the reason for cancelling")
    expect(page).to_have_url(cancel_url)

    # Cancel with a reason: the event stays, marked as cancelled, with the reason.
    reason = "The venue has flooded and no other room is free that day."
    page.get_by_label("Reason for cancelling").fill(reason)
    page.get_by_role("button", name="Cancel event", exact=True).click()
    expect(page).to_have_url(event_url)
    cancelled = page.locator(".nhsuk-warning-callout")
    expect(cancelled).to_contain_text("This event is cancelled")
    expect(cancelled).to_contain_text(reason)
    expect(heading(page)).to_have_text(re.compile(rf"^Cancelled: {re.escape(new_title)}"))

    page.goto(f"{live_server}/events")
    expect(page.get_by_role("link", name=f"Cancelled: {new_title}", exact=True)).to_be_visible()


def test_a_coordinator_plans_publishes_changes_and_cancels_an_event(
    page: Page, live_server: str, make_coordinator: MakeCoordinator
) -> None:
    # Every form of the journey goes through htmx.
    form_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            form_requests.append(f"{request.url} {request.headers.get('hx-request')}")
            if request.method == "POST" and "/events" in request.url
            else None
        ),
    )
    plan_publish_change_and_cancel(page, live_server, make_coordinator("south-central"))

    htmx_posts = [line for line in form_requests if line.endswith(" true")]
    # Saving, publishing, changing and both tries at cancelling use htmx.
    assert len(htmx_posts) == 5, form_requests
    problems = problems_of(page)
    problems.expect(r"status of 422")
    problems.assert_none()


def test_a_coordinator_plans_publishes_changes_and_cancels_an_event_without_javascript(
    page_no_js: Page, live_server: str, make_coordinator: MakeCoordinator
) -> None:
    plan_publish_change_and_cancel(page_no_js, live_server, make_coordinator("west-midlands"))


def test_the_cancel_form_is_refused_in_place(
    page: Page, live_server: str, demo_event: dict[str, str]
) -> None:
    """With JavaScript, a refused reason replaces only the form: the page itself stays."""
    sign_in(page, live_server, LONDON, DEMO_PASSWORD)
    page.goto(f"{live_server}{demo_event[PUBLISHED]}/cancel")
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="Cancel event", exact=True).click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the reason for cancelling")
    assert page.evaluate("window.__marker") == 1
    expect(page.locator("#cancel-form")).to_have_count(1)
    expect(page.locator("header.nhsuk-header")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    problems = problems_of(page)
    problems.expect(r"status of 422")
    problems.assert_none()


# --- 3: validation ---------------------------------------------------------------------------


def test_a_date_that_does_not_exist_is_refused(
    page: Page, live_server: str, make_coordinator: MakeCoordinator
) -> None:
    sign_in(page, live_server, make_coordinator("east-of-england"), PASSWORD)
    page.goto(f"{live_server}/manage/events")
    allowance = page.locator("#allowance").inner_text()
    assert re.match(r"[0-2] of 3 events planned for", allowance), allowance

    page.get_by_role("link", name="Plan an event", exact=True).click()
    form_url = page.url
    title = unique("Robson groups in practice")
    next_year = today_in_london().year + 1
    fill_event_form(page, title=title, day=date(next_year, 2, 28))
    page.locator("#event_date-day").fill("31")
    page.evaluate("window.__marker = 1")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Save as draft").click()

    assert answer.value.status == 422
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link", name="Event date must be a real date")
    expect(link).to_have_attribute("href", "#event_date-day")
    message = page.locator(".nhsuk-error-message")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("Event date must be a real date")
    for part in ("day", "month", "year"):
        expect(page.locator(f"#event_date-{part}")).to_have_class(re.compile("nhsuk-input--error"))
    link.click()
    expect(page.locator("#event_date-day")).to_be_focused()
    # What the person typed is kept; the form was replaced in place.
    expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    expect(page.locator("#event_date-day")).to_have_value("31")
    expect(page.locator("#event_date-month")).to_have_value("2")
    assert page.evaluate("window.__marker") == 1
    expect(page).to_have_url(re.compile(rf"^{re.escape(form_url)}(#event_date-day)?$"))

    # Nothing was created.
    page.goto(f"{live_server}/manage/events")
    expect(page.locator("#allowance")).to_have_text(allowance)
    expect(page.get_by_role("link", name=title)).to_have_count(0)
    problems = problems_of(page)
    problems.expect(r"status of 422")
    problems.assert_none()


def test_a_date_that_does_not_exist_is_refused_without_javascript(
    page_no_js: Page, live_server: str, make_coordinator: MakeCoordinator
) -> None:
    page = page_no_js
    sign_in(page, live_server, make_coordinator("east-of-england"), PASSWORD)
    page.goto(f"{live_server}/events/new")
    title = unique("Robson groups in practice")
    fill_event_form(page, title=title, day=date(today_in_london().year + 1, 2, 28))
    page.locator("#event_date-day").fill("31")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Save as draft").click()

    assert answer.value.status == 422
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link", name="Event date must be a real date")
    expect(link).to_have_attribute("href", "#event_date-day")
    expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    page.goto(f"{live_server}/manage/events")
    expect(page.get_by_role("link", name=title)).to_have_count(0)


# --- 4: a region at its limit ------------------------------------------------------------------


def test_a_region_at_its_limit_cannot_plan_another_event(page: Page, live_server: str) -> None:
    sign_in(page, live_server, NORTH_EAST, DEMO_PASSWORD)
    page.goto(f"{live_server}/manage/events")
    expect(page.locator("#allowance")).to_contain_text("3 of 3 events planned for")
    expect(page.get_by_role("link", name="Plan an event", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Plan an event", exact=True)).to_have_count(0)

    page.goto(f"{live_server}/events/new")
    expect(page.get_by_text("has planned all 3 network events")).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Save as draft")).to_have_count(0)
    problems_of(page).assert_none()


def test_the_manage_page_gives_every_event_a_status(page: Page, live_server: str) -> None:
    """Each row says published, draft or cancelled, demo events included."""
    sign_in(page, live_server, LONDON, DEMO_PASSWORD)
    page.goto(f"{live_server}/manage/events")
    for title, status in [(PUBLISHED, "Published"), (CANCELLED, "Cancelled"), (DRAFT, "Draft")]:
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))
        # The last column, as shown (its heading, for phones, is hidden on a desktop).
        expect(row.get_by_role("cell").last).to_have_text(
            re.compile(rf"^\s*{status}\b"), use_inner_text=True
        )
    problems_of(page).assert_none()


# --- 5 and 6: the public list's filter --------------------------------------------------------


def results(page: Page) -> Locator:
    return page.locator("#event-results")


def test_the_event_list_filters_in_place(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/events")
    expect(results(page)).to_contain_text(PUBLISHED)
    page.evaluate("window.__marker = 1")

    with page.expect_request(lambda request: "region=north-east" in request.url) as sent:
        page.get_by_label("Region").select_option(label="NHS North East")
    assert sent.value.headers.get("hx-request") == "true"
    expect(page).to_have_url(re.compile(r"[?&]region=north-east(&|$)"))
    expect(results(page).locator("#results-heading")).to_have_text(
        "3 upcoming events in NHS North East"
    )
    titles = results(page).get_by_role("heading", level=3)
    expect(titles).to_have_count(3)
    for title in NORTH_EAST_EVENTS:
        expect(results(page)).to_contain_text(title)
    expect(results(page)).not_to_contain_text(PUBLISHED)
    north_east_url = page.url

    page.get_by_label("Past").check()
    expect(page).to_have_url(re.compile(r"[?&]when=past(&|$)"))
    expect(results(page).locator("#results-heading")).to_contain_text("past event")
    expect(results(page)).not_to_contain_text(PAST)
    north_east_past_url = page.url

    page.get_by_label("Region").select_option(label="All regions")
    expect(page).to_have_url(re.compile(r"[?&]region=(&|$)"))
    expect(results(page).get_by_role("link", name=PAST)).to_be_visible()
    expect(results(page)).not_to_contain_text(NORTH_EAST_EVENTS[0])
    # Only the results changed: no full page load.
    assert page.evaluate("window.__marker") == 1
    expect(page.locator("header.nhsuk-header")).to_have_count(1)
    expect(page.locator("#event-results")).to_have_count(1)

    page.go_back()
    expect(page).to_have_url(north_east_past_url)
    expect(results(page).locator("#results-heading")).to_contain_text("in NHS North East")
    page.go_back()
    expect(page).to_have_url(north_east_url)
    expect(results(page)).to_contain_text(NORTH_EAST_EVENTS[0])
    problems_of(page).assert_none()


def test_the_filter_shows_what_the_list_shows_after_going_back(
    page: Page, live_server: str
) -> None:
    """After Back, the region and "show" controls match the results they sit above."""
    page.goto(f"{live_server}/events")
    page.get_by_label("Region").select_option(label="NHS North East")
    expect(page).to_have_url(re.compile(r"region=north-east"))
    page.get_by_label("Region").select_option(label="NHS South West")
    expect(page).to_have_url(re.compile(r"region=south-west"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"region=north-east"))
    expect(results(page)).to_contain_text("in NHS North East")
    expect(page.get_by_label("Region")).to_have_value("north-east")
    problems_of(page).assert_none()


def test_the_event_list_filters_without_javascript(page_no_js: Page, live_server: str) -> None:
    page = page_no_js
    page.goto(f"{live_server}/events")
    page.get_by_label("Region").select_option(label="NHS North East")
    page.get_by_role("button", name="Show events").click()
    expect(page).to_have_url(re.compile(r"[?&]region=north-east(&|$)"))
    expect(results(page).locator("#results-heading")).to_have_text(
        "3 upcoming events in NHS North East"
    )
    for title in NORTH_EAST_EVENTS:
        expect(results(page)).to_contain_text(title)
    expect(results(page)).not_to_contain_text(PUBLISHED)
    expect(page.get_by_label("Region")).to_have_value("north-east")

    page.get_by_label("Region").select_option(label="All regions")
    page.get_by_label("Past").check()
    page.get_by_role("button", name="Show events").click()
    expect(page).to_have_url(re.compile(r"[?&]when=past(&|$)"))
    expect(results(page).get_by_role("link", name=PAST)).to_be_visible()


# --- 7: accessibility ----------------------------------------------------------------------

Scene = Callable[[Page, str, dict[str, str], MakeCoordinator], None]

#: Names a scene's path may use for the demo events' pages.
EVENTS = {"published": PUBLISHED, "cancelled": CANCELLED, "draft": DRAFT}


def _goto(path: str, email: str | None = None) -> Scene:
    def scene(page: Page, base: str, events: dict[str, str], make: MakeCoordinator) -> None:
        if email is not None:
            sign_in(page, base, email, DEMO_PASSWORD)
        response = page.goto(f"{base}{path.format(**{k: events[v] for k, v in EVENTS.items()})}")
        assert response is not None and response.status == 200

    return scene


def _new_event_form(page: Page, base: str, events: dict[str, str], make: MakeCoordinator) -> None:
    sign_in(page, base, make("north-west"), PASSWORD)
    page.goto(f"{base}/events/new")
    expect(page.get_by_label("Title", exact=True)).to_be_visible()


def _new_event_form_with_errors(
    page: Page, base: str, events: dict[str, str], make: MakeCoordinator
) -> None:
    _new_event_form(page, base, events, make)
    page.locator("#event_date-day").fill("31")
    page.locator("#event_date-month").fill("2")
    page.locator("#event_date-year").fill(str(today_in_london().year + 1))
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter a title")
    problems_of(page).expect(r"status of 422")


def _cancel_page_with_error(
    page: Page, base: str, events: dict[str, str], make: MakeCoordinator
) -> None:
    _goto("{published}/cancel", LONDON)(page, base, events, make)
    page.get_by_role("button", name="Cancel event", exact=True).click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the reason")
    problems_of(page).expect(r"status of 422")


SCENES: dict[str, Scene] = {
    "events": _goto("/events"),
    "past-events": _goto("/events?when=past"),
    "published-event": _goto("{published}"),
    "cancelled-event": _goto("{cancelled}"),
    "draft-event": _goto("{draft}", LONDON),
    "manage-coordinator": _goto("/manage/events", LONDON),
    "manage-admin": _goto("/manage/events", ADMIN),
    "new-event": _new_event_form,
    "new-event-region-full": _goto("/events/new", NORTH_EAST),
    "new-event-errors": _new_event_form_with_errors,
    "edit": _goto("{published}/edit", LONDON),
    "cancel": _goto("{published}/cancel", LONDON),
    "cancel-error": _cancel_page_with_error,
    "delete-draft": _goto("{draft}/delete", LONDON),
}


@viewports
@pytest.mark.parametrize("scene", list(SCENES))
def test_events_page_is_accessible(
    new_page: NewPage,
    live_server: str,
    demo_event: dict[str, str],
    make_coordinator: MakeCoordinator,
    scene: str,
    viewport: dict[str, int],
) -> None:
    page = new_page(viewport=viewport)
    SCENES[scene](page, live_server, demo_event, make_coordinator)
    assert_accessible(page)
    problems_of(page).assert_none()


# --- 8: screenshots ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)], ids=["phone", "desktop"]
)
def test_event_screenshots(
    new_page: NewPage,
    live_server: str,
    demo_event: dict[str, str],
    make_coordinator: MakeCoordinator,
    size: str,
    viewport: dict[str, int],
) -> None:
    anyone = new_page(viewport=viewport)
    anyone.goto(f"{live_server}/events")
    check_and_save(anyone, f"events-{size}")
    anyone.goto(f"{live_server}{demo_event[PUBLISHED]}")
    expect(heading(anyone)).to_contain_text(PUBLISHED)
    check_and_save(anyone, f"event-published-{size}")
    problems_of(anyone).assert_none()

    planner = new_page(viewport=viewport)
    _new_event_form_with_errors(planner, live_server, demo_event, make_coordinator)
    check_and_save(planner, f"event-form-errors-{size}")
    problems_of(planner).assert_none()

    london = new_page(viewport=viewport)
    sign_in(london, live_server, LONDON, DEMO_PASSWORD)
    london.goto(f"{live_server}/manage/events")
    expect(london.locator("#allowance")).to_be_visible()
    check_and_save(london, f"manage-events-{size}")
    problems_of(london).assert_none()
