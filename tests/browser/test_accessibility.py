"""axe-core finds no WCAG 2.2 A or AA violation on any page of the portal, on a desktop or a phone.

Every route of the URL map that answers GET is either visited here, as a person who may see it,
or named in NOT_PAGES with the reason it is not a page to scan: a page added later without a
visit fails `test_every_page_is_visited`. Pages that change with the person's role (the header
above all, the event page, the account page) are visited as each role. Forms are also scanned
once showing their errors (most of them swapped in place by htmx), which must then have the focus
on the NHS error summary and "Error:" at the start of the page title. On a phone, every page is
also checked for sideways scrolling (WCAG 1.4.10 Reflow) and kept as a screenshot to look at.

The ids come from the demo data, which is only read: every form sent here is refused, and
changes nothing. The links only e-mail carries (an invitation, a password reset, an attendee's
own link) are made for this module, for people of its own. Each role signs in once per module;
each visit starts a new tab with that person's cookies.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from playwright.sync_api import Page, Playwright, StorageState, expect
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from portal.assessments.models import AssessmentRound, RoundAction
from portal.auth import tokens
from portal.auth.models import Role, User
from portal.auth.service import create_user, find_by_email
from portal.auth.tokens import TokenPurpose
from portal.demo import DEMO_PASSWORD
from portal.events.models import NetworkEvent
from portal.extensions import db
from portal.measures.service import current_month, month_key
from portal.regions.models import Trust
from portal.regions.service import region_by_slug, trust_by_code
from portal.registrations.links import self_service_token
from portal.registrations.models import Registration
from portal.robson.service import months_of as robson_months_of
from portal.stories.models import Story
from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    axe_violations,
    check_and_save,
    problems_of,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

viewports = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])

# --- Who visits ---------------------------------------------------------------------------------

Who = Literal["anyone", "staff", "coordinator", "london", "admin"]

#: The demo log-ins: Northgate's staff (ZD1, North East), two coordinators, the programme team.
PEOPLE: dict[Who, str] = {
    "staff": "staff.northgate@example.org",
    "coordinator": "coordinator.north-east@example.org",
    "london": "coordinator.london@example.org",
    "admin": "admin@example.org",
}

#: Sessions end after 30 idle minutes: sign in again well before, in a long run.
SIGN_IN_AGAIN_AFTER = 10 * 60


# --- What the pages are about: demo data, and links made for this module ------------------------


@dataclass(frozen=True)
class Demo:
    """Ids and secrets the visits' addresses are built from."""

    event: int  # North East, published, places left: Northgate's staff may book
    full_event: int  # North East, full: bookings in every state, a waiting list
    london_event: int  # published, open to every region
    cancelled_event: int
    draft_event: int  # London's
    past_event: int
    online_event: int
    published_story: int  # Northgate's, with measures
    draft_story: int  # Northgate's
    submitted_story: int  # a London trust's, waiting for review
    confirmed: int  # a confirmed booking by Northgate at the full event
    waiting: int  # Northgate's next on the full event's waiting list (its 4 places used)
    trust_id: int  # Northgate
    london_coordinator: int
    invited: int  # a person of this module's, invited and not yet joined
    invitation: str
    reset_link: str
    self_service: str


def _id(model: Any, where: Any) -> int:
    found = db.session.scalar(select(model.id).where(where))
    assert found is not None, f"demo data is missing: {where}"
    return int(found)


def _event(title: str) -> int:
    return _id(NetworkEvent, NetworkEvent.title == title)


def _story(title: str) -> int:
    return _id(Story, Story.title == title)


def _user(email: str) -> User:
    found = find_by_email(email)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def demo(default_app: Flask) -> Demo:
    with default_app.app_context():
        full_event = _event("Normal birth: what the first year taught us")
        confirmed = db.session.scalar(
            select(Registration).where(
                Registration.event_id == full_event,
                Registration.attendee_name == "Aisha Khan (demo)",
            )
        )
        assert confirmed is not None and confirmed.is_confirmed
        waiting = db.session.scalar(
            select(Registration.id)
            .where(Registration.event_id == full_event, Registration.state == "waitlisted")
            .order_by(Registration.waitlisted_at, Registration.id)
            .limit(1)
        )
        assert waiting is not None

        # People of this module's own, at a trust of its own: one invited, one who forgot.
        tag = uuid.uuid4().hex[:8]
        trust = Trust(
            name=f"Browser Accessibility NHS Trust {tag}",
            ods_code=f"A{tag[:4].upper()}",
            region=region_by_slug("north-east"),
            participating=True,
        )
        db.session.add(trust)
        db.session.flush()
        invited = create_user(
            f"browser.a11y.invited.{tag}@example.org", Role.TRUST, name="Noa Invited", trust=trust
        )
        forgetful = create_user(
            f"browser.a11y.reset.{tag}@example.org",
            Role.TRUST,
            name="Fen Forgetful",
            password=PASSWORD,
            trust=trust,
        )
        admin = _user(PEOPLE["admin"])
        invitation = tokens.issue(
            invited.id, TokenPurpose.INVITATION, timedelta(days=7), created_by_id=admin.id
        )
        reset_link = tokens.issue(
            forgetful.id, TokenPurpose.PASSWORD_RESET, timedelta(hours=2), created_by_id=None
        )
        northgate = trust_by_code("ZD1")
        assert northgate is not None
        demo = Demo(
            event=_event("Vaginal birth after caesarean: supporting women's choices"),
            full_event=full_event,
            london_event=_event("London network day: leadership for normal birth"),
            cancelled_event=_event("Organisational characteristics workshop"),
            draft_event=_event("Elective caesarean section: reviewing the decisions"),
            past_event=_event("South West launch event"),
            online_event=_event("Online: measuring caesarean section rates with Robson groups"),
            published_story=_story("A VBAC clinic run by midwives"),
            draft_story=_story("Continuous support in labour"),
            submitted_story=_story("Reviewing every elective caesarean for maternal request"),
            confirmed=confirmed.id,
            waiting=waiting,
            trust_id=northgate.id,
            london_coordinator=_user(PEOPLE["london"]).id,
            invited=invited.id,
            invitation=invitation,
            reset_link=reset_link,
            self_service=self_service_token(confirmed),
        )
        db.session.commit()
        db.session.remove()
    return demo


SignedIn = Callable[[Who], StorageState | None]


@pytest.fixture(scope="module")
def signed_in(playwright_instance: Playwright, live_server: str) -> Iterator[SignedIn]:
    """The cookies of each demo person, signed in once (through the form, over HTTP)."""
    states: dict[Who, tuple[float, StorageState]] = {}
    http = playwright_instance.request.new_context(base_url=live_server)

    def state(who: Who) -> StorageState | None:
        if who == "anyone":
            return None
        if who not in states or time.monotonic() - states[who][0] > SIGN_IN_AGAIN_AFTER:
            http.clear_cookies()
            form = http.get("/sign-in").text()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
            assert token is not None
            answer = http.post(
                "/sign-in",
                form={
                    "email": PEOPLE[who],
                    "password": DEMO_PASSWORD,
                    "csrf_token": token.group(1),
                },
            )
            assert answer.ok and urlsplit(answer.url).path == "/", answer.url
            states[who] = (time.monotonic(), http.storage_state())
        return states[who][1]

    yield state
    http.dispose()


# --- What people do on a page before it is scanned ----------------------------------------------

Act = Callable[[Page], None]


def press(name: str) -> Act:
    """Send the form as it is (empty, or as it was loaded)."""

    def act(page: Page) -> None:
        page.get_by_role("button", name=name, exact=True).click()

    return act


def choose_an_unknown_focus(page: Page) -> None:
    """Tick a focus whose value no longer names a characteristic (a stale page), then save."""
    page.evaluate(
        "() => { const box = document.querySelector('input[name=focus]');"
        " box.value = 'vbac:GONE'; box.checked = true; }"
    )
    page.get_by_role("button", name="Save the focus", exact=True).click()


def clear_then_press(label: str, button: str) -> Act:
    """Empty a required field, then send the form."""

    def act(page: Page) -> None:
        page.get_by_label(label, exact=True).fill("")
        page.get_by_role("button", name=button, exact=True).click()

    return act


def add_another_person(page: Page) -> None:
    with page.expect_response(re.compile(r"/book/person\?index=1(&|$)")):
        page.get_by_role("button", name="Add another person").click()
    expect(page.get_by_role("group", name="Person 2", exact=True)).to_be_visible()


def open_the_menu(page: Page) -> None:
    """Open the header's "More" menu, where the links that do not fit go (on a phone)."""
    more = page.locator("header #toggle-menu")
    if more.is_visible():
        more.click()
        expect(more).to_have_attribute("aria-expanded", "true")


def audit_with_impossible_date(page: Page) -> None:
    page.locator("#date_from-day").fill("31")
    page.locator("#date_from-month").fill("2")
    page.locator("#date_from-year").fill("2026")
    page.get_by_role("button", name="Filter").click()


#: One new trust and one row that cannot be imported: the preview never lets it be applied as it is.
IMPORT_CSV = (
    "name,ods_code,region,participating\n"
    "Browser Accessibility Import NHS Trust,AX123,north-east,yes\n"
    "A trust in no region,AX124,nowhere,yes\n"
)


def upload_trusts(page: Page) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "trusts.csv", "mimeType": "text/csv", "buffer": IMPORT_CSV.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")


def upload_trusts_then_apply(page: Page) -> None:
    upload_trusts(page)
    page.get_by_role("button", name="Apply the import").click()


COUNTS_CSV = (
    "ods_code,month,deliveries,caesareans_elective,caesareans_emergency,normal_births,"
    "previous_caesarean,vbac\n"
    "ZD1,2020-01,300,30,45,120,40,12\n"
    "ZD4,2020-01,300,30,45,120,40,12\n"  # another trust's: the whole file is refused
)


def upload_counts(page: Page) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "months.csv", "mimeType": "text/csv", "buffer": COUNTS_CSV.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")


ROBSON_CSV = "ods_code,month,group,women,caesareans\nZD1,2020-01,1,100,10\nZD4,2020-01,1,100,10\n"


def upload_robson_counts(page: Page) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "robson.csv", "mimeType": "text/csv", "buffer": ROBSON_CSV.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")


TOOLKIT_HEADER = (
    "pathway,characteristic_code,characteristic,position,position_label,position_description\n"
)
TOOLKIT_CSV = (
    TOOLKIT_HEADER
    + "vbac,VB1,Invented characteristic,1,Not yet,Invented description\n"
    + "vbac,VB1,Invented characteristic,2,Always,Invented description\n"
)
TOOLKIT_BAD_CSV = TOOLKIT_HEADER + "caesarean,VB1,Invented characteristic,1,Not yet,\n"


def choose_toolkit_file(page: Page, content: str) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "framework.csv", "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()


def upload_toolkit(page: Page) -> None:
    choose_toolkit_file(page, TOOLKIT_CSV)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the new version")


def upload_toolkit_with_bad_rows(page: Page) -> None:
    choose_toolkit_file(page, TOOLKIT_BAD_CSV)


def upload_toolkit_then_a_long_note(page: Page) -> None:
    upload_toolkit(page)
    page.get_by_label("Note about this version (optional)").fill("n" * 501)
    page.get_by_role("button", name=re.compile(r"^Load version")).click()


def ask_for_a_reset(page: Page) -> None:
    page.get_by_label("E-mail address").fill(f"nobody.{uuid.uuid4().hex[:8]}@example.org")
    page.get_by_role("button", name="Send the link").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Check your e-mail")
    # htmx swapped the form out from under the focus: it goes to what replaced it.
    expect(heading).to_be_focused()


# --- The visits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """Open `endpoint` (or `via`) as `who`, do `act`, then scan what is on the screen."""

    endpoint: str
    who: Who = "anyone"
    args: Callable[[Demo], dict[str, Any]] = lambda demo: {}
    act: Act | None = None
    #: `act` sends the form wrongly: the page must show its errors, and answer 422.
    errors: bool = False
    #: The page to open when `endpoint` cannot be opened by its address alone.
    via: str | None = None
    #: The route of the page `act` ends on, when it is not `endpoint`.
    lands_on: str | None = None
    #: The password-reset form is sent to a server whose rate limit no test can reach.
    server: Literal["live", "reset"] = "live"


def event(key: str) -> Callable[[Demo], dict[str, Any]]:
    return lambda demo: {"event_id": getattr(demo, key)}


def story(key: str) -> Callable[[Demo], dict[str, Any]]:
    return lambda demo: {"story_id": getattr(demo, key)}


def northgate(demo: Demo) -> dict[str, Any]:
    return {"ods_code": "ZD1"}


def northgate_robson_month(demo: Demo) -> dict[str, Any]:
    """Northgate's newest Robson month (the demo gives it a year)."""
    trust = trust_by_code("ZD1")
    assert trust is not None
    return {"ods_code": "ZD1", "month_text": month_key(robson_months_of(trust)[0].month)}


def northgate_last_month(demo: Demo) -> dict[str, Any]:
    last = (current_month() - timedelta(days=1)).replace(day=1)
    return {"ods_code": "ZD1", "month_text": month_key(last)}


def northgate_round(complete: bool, **more: Any) -> Callable[[Demo], dict[str, Any]]:
    """Northgate's completed self-assessment round, or its round in progress (the demo's)."""

    def args(demo: Demo) -> dict[str, Any]:
        done = AssessmentRound.completed_at.is_not(None)
        found = db.session.scalar(
            select(AssessmentRound.id).where(
                AssessmentRound.trust_id == demo.trust_id, done if complete else ~done
            )
        )
        assert found is not None, "the demo gives Northgate a completed round and one in progress"
        return {"ods_code": "ZD1", "round_id": found, **more}

    return args


def northgate_action(demo: Demo) -> dict[str, Any]:
    found = db.session.scalar(
        select(RoundAction.id).where(RoundAction.trust_id == demo.trust_id).limit(1)
    )
    assert found is not None
    return {"ods_code": "ZD1", "action_id": found}


def confirmed(demo: Demo) -> dict[str, Any]:
    return {"registration_id": demo.confirmed}


VISITS: dict[str, Visit] = {
    # Anyone: information, events, regions, trusts, stories.
    "home": Visit("pages.home"),
    "about": Visit("pages.about"),
    "contact": Visit("pages.contact"),
    "accessibility": Visit("pages.accessibility"),
    "privacy": Visit("pages.privacy"),
    "cookies": Visit("pages.cookies"),
    "medical-advice": Visit("pages.medical_advice"),
    "events": Visit("events.index"),
    "events-past": Visit("events.index", args=lambda demo: {"when": "past"}),
    "event": Visit("events.event", args=event("event")),
    "event-full": Visit("events.event", args=event("full_event")),
    "event-cancelled": Visit("events.event", args=event("cancelled_event")),
    "event-past": Visit("events.event", args=event("past_event")),
    "event-online": Visit("events.event", args=event("online_event")),
    "regions": Visit("regions.index"),
    "region": Visit("regions.region", args=lambda demo: {"slug": "north-east"}),
    "trusts": Visit("regions.trusts"),
    "trust": Visit("regions.trust", args=lambda demo: {"ods_code": "ZD1"}),
    "stories": Visit("stories.index"),
    "stories-no-match": Visit("stories.index", args=lambda demo: {"q": "nomatchword"}),
    "story": Visit("stories.story", args=story("published_story")),
    # Anyone: signing in, and the links e-mail carries.
    "sign-in": Visit("auth.sign_in"),
    "sign-in-errors": Visit("auth.sign_in", act=press("Sign in"), errors=True),
    "password-reset": Visit("auth.forgot_password", server="reset"),
    "password-reset-errors": Visit(
        "auth.forgot_password", act=press("Send the link"), errors=True, server="reset"
    ),
    "password-reset-sent": Visit("auth.forgot_password", act=ask_for_a_reset, server="reset"),
    "new-password": Visit("auth.reset_password", args=lambda demo: {"token": demo.reset_link}),
    "new-password-errors": Visit(
        "auth.reset_password",
        args=lambda demo: {"token": demo.reset_link},
        act=press("Change password"),
        errors=True,
    ),
    "invitation": Visit("auth.accept_invitation", args=lambda demo: {"token": demo.invitation}),
    "invitation-errors": Visit(
        "auth.accept_invitation",
        args=lambda demo: {"token": demo.invitation},
        act=press("Create my account"),
        errors=True,
    ),
    "self-service": Visit(
        "registrations.self_service", args=lambda demo: {"token": demo.self_service}
    ),
    # Trust staff: booking places, their trust's bookings and stories.
    "home-staff": Visit("pages.home", "staff"),
    "account-staff": Visit("auth.account", "staff"),
    "account-errors": Visit(
        "auth.account", "staff", act=clear_then_press("Full name", "Save name"), errors=True
    ),
    "event-staff": Visit("events.event", "staff", args=event("event")),
    "book": Visit("registrations.book", "staff", args=event("event")),
    "book-errors": Visit(
        "registrations.book", "staff", args=event("event"), act=press("Book places"), errors=True
    ),
    "book-another-person": Visit(
        "registrations.booking_row",
        "staff",
        args=event("event"),
        act=add_another_person,
        via="registrations.book",
        lands_on="registrations.book",
    ),
    "booked": Visit("registrations.booked", "staff", args=event("event")),
    "bookings": Visit("registrations.trust_bookings", "staff"),
    "withdraw": Visit("registrations.trust_withdraw", "staff", args=confirmed),
    "change": Visit("registrations.change", "staff", args=confirmed),
    "change-errors": Visit(
        "registrations.change",
        "staff",
        args=confirmed,
        act=clear_then_press("Full name", "Save changes"),
        errors=True,
    ),
    "stories-mine": Visit("stories.mine", "staff"),
    # Measures: a trust's monthly figures and charts (the demo gives Northgate three years).
    "measures-staff": Visit("measures.trust_measures", "staff", args=northgate),
    "measures-months": Visit("measures.months", "staff", args=northgate),
    "measures-new-month": Visit("measures.new_month", "staff", args=northgate),
    "measures-new-month-errors": Visit(
        "measures.new_month", "staff", args=northgate, act=press("Save the figures"), errors=True
    ),
    "measures-edit-month": Visit("measures.edit_month", "staff", args=northgate_last_month),
    "measures-edit-month-errors": Visit(
        "measures.edit_month",
        "staff",
        args=northgate_last_month,
        act=clear_then_press("Deliveries", "Save the corrections"),
        errors=True,
    ),
    "measures-changes": Visit("measures.changes", "staff", args=northgate),
    "measures-changes-errors": Visit(
        "measures.changes", "staff", args=northgate, act=press("Mark the change"), errors=True
    ),
    "measures-import": Visit("measures.import_counts", "staff"),
    "measures-import-errors": Visit(
        "measures.import_counts", "staff", act=press("Check the file"), errors=True
    ),
    "measures-import-preview": Visit(
        "measures.import_preview", "staff", act=upload_counts, via="measures.import_counts"
    ),
    # Robson groups: the report, a month's counts, a file of births, the import.
    "robson-staff": Visit("robson.trust_report", "staff", args=northgate),
    "robson-months": Visit("robson.months", "staff", args=northgate),
    "robson-new-month": Visit("robson.new_month", "staff", args=northgate),
    "robson-new-month-errors": Visit(
        "robson.new_month", "staff", args=northgate, act=press("Save the month"), errors=True
    ),
    "robson-edit-month": Visit("robson.edit_month", "staff", args=northgate_robson_month),
    "robson-births": Visit("robson.births", "staff", args=northgate),
    "robson-births-errors": Visit(
        "robson.births", "staff", args=northgate, act=press("Count the births"), errors=True
    ),
    "robson-import": Visit("robson.import_counts", "staff"),
    "robson-import-errors": Visit(
        "robson.import_counts", "staff", act=press("Check the file"), errors=True
    ),
    "robson-import-preview": Visit(
        "robson.import_preview", "staff", act=upload_robson_counts, via="robson.import_counts"
    ),
    "robson-region": Visit(
        "robson.region_report", "coordinator", args=lambda demo: {"slug": "north-east"}
    ),
    "robson-programme": Visit("robson.index", "admin"),
    # The toolkit framework: read by everyone signed in; versions loaded by the programme team.
    "toolkit": Visit("assessments.framework", "staff"),
    "toolkit-version": Visit("assessments.version", "coordinator", args=lambda demo: {"number": 1}),
    "toolkit-manage": Visit("assessments.manage", "admin"),
    "toolkit-manage-errors": Visit(
        "assessments.manage", "admin", act=press("Check the file"), errors=True
    ),
    "toolkit-bad-rows": Visit(
        "assessments.manage", "admin", act=upload_toolkit_with_bad_rows, errors=True
    ),
    "toolkit-preview": Visit(
        "assessments.import_preview", "admin", act=upload_toolkit, via="assessments.manage"
    ),
    "toolkit-preview-errors": Visit(
        "assessments.import_preview",
        "admin",
        act=upload_toolkit_then_a_long_note,
        errors=True,
        via="assessments.manage",
    ),
    # A trust's self-assessment (the demo's rounds of Northgate's): its staff's alone. Forms are
    # sent only wrongly here (nothing changes); the journeys are in test_assessments.py.
    "assessments": Visit("assessments.rounds", "staff", args=northgate),
    "assessment-start": Visit("assessments.start_round", "staff", args=northgate),
    "assessment-round": Visit("assessments.round", "staff", args=northgate_round(True)),
    "assessment-round-open": Visit("assessments.round", "staff", args=northgate_round(False)),
    "assessment-complete-errors": Visit(
        "assessments.round",
        "staff",
        args=northgate_round(False),
        act=press("Complete the round"),
        errors=True,
    ),
    "assessment-answer": Visit(
        "assessments.answer", "staff", args=northgate_round(False, pathway="vbac")
    ),
    "assessment-priorities": Visit("assessments.priorities", "staff", args=northgate_round(True)),
    "assessment-actions": Visit("assessments.actions", "staff", args=northgate_round(True)),
    "assessment-actions-errors": Visit(
        "assessments.actions",
        "staff",
        args=northgate_round(True),
        act=clear_then_press("What will be done", "Add the action"),
        errors=True,
    ),
    "assessment-action": Visit("assessments.edit_action", "staff", args=northgate_action),
    "assessment-compare": Visit("assessments.compare", "staff", args=northgate_round(False)),
    # Shared rounds: counts for the region's coordinator and the programme team; an event's focus.
    "assessments-region": Visit(
        "assessments.region", "coordinator", args=lambda demo: {"slug": "north-east"}
    ),
    "assessments-programme": Visit("assessments.programme", "admin"),
    "event-focus": Visit("assessments.event_focus", "coordinator", args=event("event")),
    "event-focus-errors": Visit(
        "assessments.event_focus",
        "coordinator",
        args=event("event"),
        act=choose_an_unknown_focus,
        errors=True,
    ),
    "measures-region": Visit("measures.index", "coordinator"),
    "measures-programme": Visit("measures.index", "admin"),
    "story-draft": Visit("stories.story", "staff", args=story("draft_story")),
    # The story form's errors, and the submit page's, are scanned in test_stories.py with a
    # draft of its own: typing here would autosave the demo draft.
    "story-edit": Visit("stories.edit", "staff", args=story("draft_story")),
    "story-submit": Visit("stories.submit_for_review", "staff", args=story("draft_story")),
    "story-delete": Visit("stories.delete", "staff", args=story("draft_story")),
    "story-withdraw": Visit("stories.withdraw_story", "staff", args=story("published_story")),
    # Coordinators: their region's events, attendees, trust staff and stories.
    "home-coordinator": Visit("pages.home", "coordinator"),
    "account-coordinator": Visit("auth.account", "coordinator"),
    "event-coordinator": Visit("events.event", "coordinator", args=event("full_event")),
    "manage-events": Visit("events.manage", "coordinator"),
    "new-event-region-full": Visit("events.new", "coordinator"),
    "new-event": Visit("events.new", "london"),
    "new-event-errors": Visit("events.new", "london", act=press("Save as draft"), errors=True),
    "edit-event": Visit("events.edit", "london", args=event("london_event")),
    "edit-event-errors": Visit(
        "events.edit",
        "london",
        args=event("london_event"),
        act=clear_then_press("Title", "Save changes"),
        errors=True,
    ),
    "publish-event": Visit("events.publish", "london", args=event("draft_event")),
    "cancel-event": Visit("events.cancel", "london", args=event("london_event")),
    "cancel-event-errors": Visit(
        "events.cancel",
        "london",
        args=event("london_event"),
        act=press("Cancel event"),
        errors=True,
    ),
    "delete-event": Visit("events.delete", "london", args=event("draft_event")),
    "attendees": Visit("registrations.attendees", "coordinator", args=event("full_event")),
    "attendees-waiting": Visit(
        "registrations.attendees",
        "coordinator",
        args=event("full_event"),
        act=lambda page: page.goto(page.url + "?show=waiting&q=demo"),
    ),
    "register": Visit("registrations.register", "coordinator", args=event("full_event")),
    "offer-place": Visit(
        "registrations.offer", "coordinator", args=lambda demo: {"registration_id": demo.waiting}
    ),
    "trust-places": Visit(
        "registrations.trust_limit",
        "coordinator",
        args=lambda demo: {"event_id": demo.full_event, "trust_id": demo.trust_id},
    ),
    "trust-places-errors": Visit(
        "registrations.trust_limit",
        "coordinator",
        args=lambda demo: {"event_id": demo.full_event, "trust_id": demo.trust_id},
        act=clear_then_press("Places for this trust", "Give these places"),
        errors=True,
    ),
    "remove": Visit("registrations.coordinator_remove", "coordinator", args=confirmed),
    "team": Visit("auth.team", "coordinator"),
    "person-invited": Visit(
        "auth.person", "coordinator", args=lambda demo: {"user_id": demo.invited}
    ),
    "invite-coordinator": Visit("auth.invite_person", "coordinator"),
    "invite-errors": Visit(
        "auth.invite_person", "coordinator", act=press("Send invitation"), errors=True
    ),
    "review-queue": Visit("stories.review_list", "london"),
    "review": Visit("stories.review", "london", args=story("submitted_story")),
    "review-errors": Visit(
        "stories.review",
        "london",
        args=story("submitted_story"),
        act=press("Return with comment"),
        errors=True,
        lands_on="stories.return_story",
    ),
    # The programme team: everything, and the directory.
    "home-admin": Visit("pages.home", "admin"),
    "home-admin-menu": Visit("pages.home", "admin", act=open_the_menu),
    "account-admin": Visit("auth.account", "admin"),
    "event-draft-admin": Visit("events.event", "admin", args=event("draft_event")),
    "manage-events-admin": Visit("events.manage", "admin"),
    "new-event-admin": Visit("events.new", "admin"),
    "invite-admin": Visit("auth.invite_person", "admin"),
    "person-admin": Visit(
        "auth.person", "admin", args=lambda demo: {"user_id": demo.london_coordinator}
    ),
    "review-queue-admin": Visit("stories.review_list", "admin"),
    "people": Visit("admin.people", "admin"),
    "audit": Visit("admin.audit_log", "admin"),
    "audit-errors": Visit("admin.audit_log", "admin", act=audit_with_impossible_date, errors=True),
    "mail": Visit("admin.mail", "admin"),
    "erase": Visit("admin.privacy", "admin"),
    "erase-errors": Visit("admin.privacy", "admin", act=press("Erase bookings"), errors=True),
    "regions-admin": Visit("admin.regions", "admin"),
    "edit-region": Visit("admin.edit_region", "admin", args=lambda demo: {"slug": "north-east"}),
    "edit-region-errors": Visit(
        "admin.edit_region",
        "admin",
        args=lambda demo: {"slug": "north-east"},
        act=clear_then_press("Full name", "Save changes"),
        errors=True,
    ),
    "trusts-admin": Visit("admin.trusts", "admin"),
    "new-trust": Visit("admin.new_trust", "admin"),
    "new-trust-errors": Visit("admin.new_trust", "admin", act=press("Add trust"), errors=True),
    "edit-trust": Visit("admin.edit_trust", "admin", args=lambda demo: {"trust_id": demo.trust_id}),
    "edit-trust-errors": Visit(
        "admin.edit_trust",
        "admin",
        args=lambda demo: {"trust_id": demo.trust_id},
        act=clear_then_press("Name", "Save changes"),
        errors=True,
    ),
    "import-trusts": Visit("admin.import_trusts", "admin"),
    "import-trusts-errors": Visit(
        "admin.import_trusts", "admin", act=press("Check the file"), errors=True
    ),
    "import-preview": Visit(
        "admin.import_preview", "admin", act=upload_trusts, via="admin.import_trusts"
    ),
    "import-preview-errors": Visit(
        "admin.import_preview",
        "admin",
        act=upload_trusts_then_apply,
        errors=True,
        via="admin.import_trusts",
    ),
}

#: Routes that answer GET with something other than a page, or that no one opens.
NOT_PAGES: dict[str, str] = {
    "static": "the portal's own CSS and JavaScript",
    "assets.asset": "NHS.UK frontend's and htmx's files",
    "pages.healthz": "a plain-text answer for load balancers",
    "feeds.all_events": "an iCalendar feed",
    "feeds.region": "an iCalendar feed",
    "feeds.event": "an iCalendar download",
    "feeds.private": "an iCalendar feed behind a secret address",
    "stories.atom_all": "an Atom feed",
    "stories.atom_region": "an Atom feed",
    "registrations.attendees_csv": "a CSV download",
    "admin.audit_csv": "a CSV download",
    "measures.export": "a CSV download",
    "measures.chart_download": "an SVG download",
    "robson.trust_csv": "a CSV download",
    "robson.region_csv": "a CSV download",
    "robson.programme_csv": "a CSV download",
    "assessments.region_csv": "a CSV download",
    "assessments.programme_csv": "a CSV download",
}

#: Error pages, each as someone who meets it.
ERROR_PAGES: dict[str, tuple[Who, str, int]] = {
    "not-found": ("anyone", "/no-such-page", 404),
    "forbidden": ("staff", "/admin/people", 403),
    "link-not-valid": ("anyone", "/invitations/not-a-real-link", 410),
}


# --- The tests ----------------------------------------------------------------------------------


def get_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}


def endpoint_of(app: Flask, url: str) -> str:
    """The route that answers the address (its GET one, or else its POST one)."""
    adapter = app.url_map.bind("localhost")
    path = urlsplit(url).path
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except (MethodNotAllowed, NotFound):
        endpoint, _ = adapter.match(path, method="POST")
    return str(endpoint)


def test_every_page_is_visited(default_app: Flask) -> None:
    pages = get_endpoints(default_app)
    visited = {visit.endpoint for visit in VISITS.values()}
    missing = sorted(pages - visited - set(NOT_PAGES))
    assert not missing, (
        f"add a visit to VISITS for these pages (or say in NOT_PAGES why not): {missing}"
    )
    gone = sorted((visited | set(NOT_PAGES)) - pages)
    assert not gone, f"VISITS or NOT_PAGES name routes that no longer answer GET: {gone}"
    both = sorted(visited & set(NOT_PAGES))
    assert not both, f"these routes are both visited and excluded: {both}"
    # Every role is among the visitors, so the header's navigation is scanned for each.
    assert {visit.who for visit in VISITS.values()} == {"anyone", *PEOPLE}


def visit_params() -> list[Any]:
    return [
        pytest.param(name, viewport, id=f"{name}-{size}")
        for name in VISITS
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE))
    ]


@pytest.mark.parametrize(("name", "viewport"), visit_params())
def test_page_is_accessible(
    new_page: NewPage,
    default_app: Flask,
    live_server: str,
    reset_server: str,
    demo: Demo,
    signed_in: SignedIn,
    name: str,
    viewport: dict[str, int],
) -> None:
    visit = VISITS[name]
    base = reset_server if visit.server == "reset" else live_server
    with default_app.test_request_context():
        path = url_for(visit.via or visit.endpoint, **visit.args(demo))
    page = new_page(viewport=viewport, storage_state=signed_in(visit.who))
    problems = problems_of(page)
    response = page.goto(f"{base}{path}")
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    assert page.url == f"{base}{path}", f"{path} went on to {page.url}"

    if visit.act is not None:
        visit.act(page)
    if visit.errors:
        problems.expect(r"status of 422")
        summary = page.locator(".nhsuk-error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        expect(page).to_have_title(re.compile(r"^Error: "))
    assert endpoint_of(default_app, page.url) == (visit.lands_on or visit.endpoint), page.url

    assert_accessible(page)
    problems.assert_none()
    if viewport == PHONE:
        # Also checks the page does not scroll sideways; kept for a person to look at.
        check_and_save(page, f"a11y-{name}-phone")


@viewports
@pytest.mark.parametrize("name", list(ERROR_PAGES))
def test_error_page_is_accessible(
    new_page: NewPage, live_server: str, signed_in: SignedIn, name: str, viewport: dict[str, int]
) -> None:
    who, path, status = ERROR_PAGES[name]
    page = new_page(viewport=viewport, storage_state=signed_in(who))
    response = page.goto(f"{live_server}{path}")
    assert response is not None and response.status == status
    assert_accessible(page)
    problems = problems_of(page)
    problems.expect(rf"status of {status}")
    problems.assert_none()


def test_the_axe_check_can_fail(page: Page, live_server: str) -> None:
    """Guards the harness: an image without alternative text must be reported."""
    page.goto(f"{live_server}/about")
    page.evaluate(
        """() => {
            const image = document.createElement("img");
            image.src = "/assets/nhsuk/assets/images/favicon.svg";
            document.querySelector("main").append(image);
        }"""
    )
    assert "image-alt" in {violation["id"] for violation in axe_violations(page)}
