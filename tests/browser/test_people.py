"""Bringing people in, in the browser: invitations (by the programme team and by a coordinator),
accepting them, deactivation, forgotten passwords and the idle-session warning; every page of
them passes axe; screenshots for a person to read.

Each test makes the people (and trust) it works on, with e-mail addresses of its own, in the
live server's database; the links people would get by e-mail are read from the outbox there.
Forms that post to /password-reset go to a second server on the same database whose reset
limit is raised: the limit counts per client address, and every browser test shares one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.auth.people import accept_invitation, invite, request_password_reset, set_active
from portal.auth.service import create_user, find_by_email
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
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
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

ADMIN = "admin@example.org"
NEW_PASSWORD = "a brand new password for browsers"
INVITATION = "user.invitation"
PASSWORD_RESET = "user.password_reset"
#: The region of the coordinators the programme team invites here.
INVITED_REGION = "north-east"
#: The region of the coordinator (and their trust) who invites trust staff here.
TEAM_REGION = "east-midlands"
OTHER_REGION = "south-west"

#: Where an e-mail's link points; the path is opened on the live server.
MAIL_LINK = re.compile(r"https?://\S+?/(?:invitations|password-reset)/[A-Za-z0-9_-]+")


# --- Arrange: people of the tests' own -------------------------------------------------------------


def short_id() -> str:
    return uuid.uuid4().hex[:8]


def new_email(what: str) -> str:
    return f"browser.people.{what}.{short_id()}@example.org"


def the_admin() -> User:
    found = find_by_email(ADMIN)
    assert found is not None
    return found


def new_trust(slug: str) -> Trust:
    """A participating trust in the region, with an ODS code no demo trust uses."""
    region = region_by_slug(slug)
    assert region is not None
    trust = Trust(
        name=f"Browser People NHS Trust {short_id()}",
        ods_code=f"P{uuid.uuid4().hex[:4].upper()}",
        region=region,
        participating=True,
    )
    db.session.add(trust)
    db.session.flush()
    return trust


def link_in_mail(app: Flask, email: str, kind: str) -> str:
    """The path of the link in the newest e-mail of `kind` to `email` (from the outbox)."""
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == email, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None, f"no {kind} e-mail to {email}"
        body = message.text_body
        base = str(app.config["PORTAL_BASE_URL"])
        db.session.remove()
    match = MAIL_LINK.search(body)
    assert match is not None, body
    # Absolute, from the PORTAL_BASE_URL setting (never from the request's Host header).
    assert match.group(0).startswith(f"{base}/"), match.group(0)
    return urlsplit(match.group(0)).path


@dataclass(frozen=True)
class Cast:
    """A coordinator with a trust in their region, and people of that trust in every state."""

    region: str
    coordinator: str
    trust_code: str
    trust_name: str
    #: Active trust staff (they have a password).
    staff: str
    staff_id: int
    #: Invited trust staff who have not accepted; the path of their (unused) invitation link.
    invited: str
    invited_id: int
    invitation: str
    #: The path of an invitation link that has been used.
    used_invitation: str
    #: The path of an unused password reset link (of a person of its own).
    reset_link: str


@pytest.fixture(scope="module")
def cast(default_app: Flask) -> Cast:
    """Made once for the module; tests only look at these people, never change them."""
    with default_app.app_context():
        region = region_by_slug(TEAM_REGION)
        coordinator = create_user(
            new_email("coordinator"),
            Role.COORDINATOR,
            name="Sasha Coordinator",
            password=PASSWORD,
            region=region,
        )
        trust = new_trust(TEAM_REGION)
        staff = create_user(
            new_email("staff"), Role.TRUST, name="Robin Active", password=PASSWORD, trust=trust
        )
        invited = invite(
            new_email("invited"),
            Role.TRUST,
            actor=coordinator,
            name="Noor Invited-Whitfield",
            trust=trust,
        )
        used = invite(new_email("used"), Role.TRUST, actor=the_admin(), trust=trust)
        reset = create_user(
            new_email("reset"), Role.TRUST, name="Rey Reset", password=PASSWORD, trust=trust
        )
        request_password_reset(reset.email)
        db.session.commit()
        made = {
            "coordinator": coordinator.email,
            "trust_code": trust.ods_code,
            "trust_name": trust.name,
            "staff": staff.email,
            "staff_id": staff.id,
            "invited": invited.email,
            "invited_id": invited.id,
            "used": used.email,
            "reset": reset.email,
        }
        db.session.remove()
    used_link = link_in_mail(default_app, made["used"], INVITATION)
    with default_app.app_context():
        accept_invitation(
            used_link.rsplit("/", 1)[1], "Uma Used", NEW_PASSWORD, lifetime=timedelta(hours=1)
        )
        db.session.commit()
        db.session.remove()
    return Cast(
        region=TEAM_REGION,
        coordinator=made["coordinator"],
        trust_code=made["trust_code"],
        trust_name=made["trust_name"],
        staff=made["staff"],
        staff_id=made["staff_id"],
        invited=made["invited"],
        invited_id=made["invited_id"],
        invitation=link_in_mail(default_app, made["invited"], INVITATION),
        used_invitation=used_link,
        reset_link=link_in_mail(default_app, made["reset"], PASSWORD_RESET),
    )


MakePerson = Callable[..., str]


@pytest.fixture
def make_person(default_app: Flask) -> MakePerson:
    """Make active trust staff (a new trust in the region) for this test; return the e-mail."""

    def make(what: str = "person", *, slug: str = TEAM_REGION, name: str = "Kit Person") -> str:
        with default_app.app_context():
            email = create_user(
                new_email(what), Role.TRUST, name=name, password=PASSWORD, trust=new_trust(slug)
            ).email
            db.session.commit()
            db.session.remove()
        return email

    return make


@pytest.fixture
def invitation(default_app: Flask) -> Callable[[], tuple[str, int, str]]:
    """Invite trust staff (by the programme team) for this test: (e-mail, id, link path)."""

    def make() -> tuple[str, int, str]:
        with default_app.app_context():
            person = invite(
                new_email("invitee"),
                Role.TRUST,
                actor=the_admin(),
                name="Ira Invitee",
                trust=new_trust(TEAM_REGION),
            )
            db.session.commit()
            email, person_id = person.email, person.id
            db.session.remove()
        return email, person_id, link_in_mail(default_app, email, INVITATION)

    return make


# --- Helpers ---------------------------------------------------------------------------------------


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def success_banner(page: Page) -> Locator:
    return page.locator(".nhsuk-notification-banner--success")


def summary_value(page: Page, key: str) -> Locator:
    """The value of the row `key` of the page's summary list."""
    return (
        page.locator(".nhsuk-summary-list__row")
        .filter(has=page.locator(".nhsuk-summary-list__key", has_text=key))
        .locator(".nhsuk-summary-list__value")
    )


def person_id_of(page: Page) -> int:
    match = re.search(r"/people/(\d+)$", page.url)
    assert match is not None, page.url
    return int(match.group(1))


def set_password(page: Page, password: str) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Confirm new password", exact=True).fill(password)


def sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="Sign out").click()
    expect(success_banner(page)).to_contain_text("You have signed out.")


def is_open(dialog: Locator) -> bool:
    return bool(dialog.evaluate("(dialog) => dialog.open"))


# --- 1 and 2: invite a coordinator, accept, sign in again, deactivate ------------------------------


def admin_invites_a_coordinator(page: Page, live_server: str, email: str, name: str) -> int:
    """The programme team invite a coordinator for a region; return the new person's id."""
    sign_in(page, live_server, ADMIN, DEMO_PASSWORD)
    page.goto(f"{live_server}/admin/people")
    page.get_by_role("link", name="Invite a person").click()
    expect(page).to_have_url(f"{live_server}/people/invite")
    expect(heading(page)).to_have_text("Invite a person")
    page.get_by_label("Work e-mail address").fill(email)
    page.get_by_label("Full name (optional)").fill(name)
    page.get_by_label("Role", exact=True).select_option(label="SHA coordinator")
    page.get_by_label("Region (for SHA coordinators)").select_option(INVITED_REGION)
    page.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/people/\d+$"))
    expect(heading(page)).to_have_text(name)
    expect(success_banner(page)).to_contain_text(f"Invitation sent to {email}.")
    expect(summary_value(page, "Status")).to_contain_text("Invited")
    expect(summary_value(page, "Role")).to_contain_text("SHA coordinator")
    expect(page.get_by_role("button", name="Send a new invitation")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw the invitation")).to_be_visible()
    return person_id_of(page)


def accept(page: Page, live_server: str, link: str, invited_name: str, name: str) -> None:
    """Open an invitation link, set a name and password: signed in, on the home page; the
    account page shows the name chosen."""
    answer = page.goto(f"{live_server}{link}")
    assert answer is not None and answer.status == 200
    expect(heading(page)).to_have_text("Set up your account")
    expect(page.get_by_label("Full name")).to_have_value(invited_name)
    page.get_by_label("Full name").fill(name)
    set_password(page, NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_url(f"{live_server}/")
    expect(success_banner(page)).to_contain_text(
        "Welcome. Your account is ready and you are signed in."
    )
    page.goto(f"{live_server}/account")
    expect(summary_value(page, "Name")).to_have_text(name)
    expect(summary_value(page, "Role")).to_contain_text("SHA coordinator")


def invite_accept_and_deactivate(new_page: NewPage, live_server: str, app: Flask, js: bool) -> None:
    tag = short_id()
    email = f"browser.people.invited-coordinator.{tag}@example.org"
    invited_name, chosen_name = f"Morgan Invitee {tag}", f"Morgan Accepted {tag}"
    admin = new_page(javascript=js)
    person_id = admin_invites_a_coordinator(admin, live_server, email, invited_name)

    invitee = new_page(javascript=js)
    accept(invitee, live_server, link_in_mail(app, email, INVITATION), invited_name, chosen_name)
    sign_out(invitee)
    sign_in(invitee, live_server, email, NEW_PASSWORD)

    admin.goto(f"{live_server}/people/{person_id}")
    expect(heading(admin)).to_have_text(chosen_name)
    expect(summary_value(admin, "Status")).to_contain_text("Active")
    expect(admin.get_by_role("button", name="Withdraw the invitation")).to_have_count(0)
    admin.get_by_role("button", name="Deactivate").click()
    expect(admin).to_have_url(f"{live_server}/people/{person_id}")
    expect(success_banner(admin)).to_contain_text(
        f"{chosen_name} has been deactivated and signed out everywhere."
    )
    expect(summary_value(admin, "Status")).to_contain_text("Deactivated")
    expect(admin.get_by_role("button", name="Reactivate")).to_be_visible()

    # The invitee's tab is still open on their account page: the next page they ask for is sign-in.
    invitee.locator("header").get_by_role("link", name=chosen_name).click()
    expect(invitee).to_have_url(f"{live_server}/sign-in?next=/account")
    expect(heading(invitee)).to_have_text("Sign in")
    # ...and signing in again does not work.
    invitee.get_by_label("E-mail address").fill(email)
    invitee.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Sign in").click()
    expect(invitee.locator(".nhsuk-error-summary")).to_contain_text(
        "The e-mail address or password is not correct"
    )
    if js:
        problems_of(admin).assert_none()
        problems = problems_of(invitee)
        problems.expect(r"status of 422")
        problems.assert_none()


def test_the_programme_team_invite_a_coordinator_who_joins_and_is_deactivated(
    new_page: NewPage, live_server: str, default_app: Flask
) -> None:
    invite_accept_and_deactivate(new_page, live_server, default_app, js=True)


def test_the_programme_team_invite_a_coordinator_without_javascript(
    new_page: NewPage, live_server: str, default_app: Flask
) -> None:
    invite_accept_and_deactivate(new_page, live_server, default_app, js=False)


def test_a_coordinator_without_a_region_is_refused_next_to_the_region(
    page: Page, live_server: str
) -> None:
    sign_in(page, live_server, ADMIN, DEMO_PASSWORD)
    page.goto(f"{live_server}/people/invite")
    page.get_by_label("Work e-mail address").fill(new_email("regionless"))
    page.get_by_label("Role", exact=True).select_option(label="SHA coordinator")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Send invitation").click()
    assert answer.value.status == 422
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("link", name="Choose the coordinator's region")).to_have_attribute(
        "href", "#region", timeout=2_000
    )
    expect(page.locator("#region-error")).to_contain_text(
        "Choose the coordinator's region", timeout=2_000
    )
    expect(page.locator("#email-error")).to_have_count(0, timeout=2_000)


# --- 3: a coordinator invites trust staff ---------------------------------------------------------


def trust_options(app: Flask, slug: str) -> list[str]:
    """How the invite form should name each trust of the region, in order."""
    with app.app_context():
        region = region_by_slug(slug)
        assert region is not None
        trusts = db.session.scalars(
            select(Trust).where(Trust.region_id == region.id).order_by(Trust.name)
        ).all()
        names = [f"{trust.name} ({trust.ods_code})" for trust in trusts]
        db.session.remove()
    return names


def test_a_coordinator_invites_staff_of_their_own_regions_trusts(
    page: Page, live_server: str, default_app: Flask, cast: Cast
) -> None:
    sign_in(page, live_server, cast.coordinator, PASSWORD)
    page.goto(f"{live_server}/team")
    expect(heading(page)).to_have_text("Trust staff")
    expect(page.get_by_role("row").filter(has_text=cast.staff)).to_contain_text("Active")
    expect(page.get_by_role("row").filter(has_text=cast.invited)).to_contain_text("Invited")
    page.get_by_role("link", name="Invite trust staff").click()

    expect(page).to_have_url(f"{live_server}/people/invite")
    expect(heading(page)).to_have_text("Invite a person")
    # The role is fixed (trust staff), and so is the region: neither is asked for.
    expect(page.locator("select[name=role]")).to_have_count(0)
    expect(page.locator("select[name=region]")).to_have_count(0)
    expect(page.locator("input[type=hidden][name=role]")).to_have_value("trust")
    trust = page.get_by_label("Trust (for trust staff)")
    ours = trust_options(default_app, TEAM_REGION)
    assert f"{cast.trust_name} ({cast.trust_code})" in ours
    expect(trust.locator("option")).to_have_text(["Choose a trust", *ours])
    for other in trust_options(default_app, OTHER_REGION):
        assert other not in ours

    email = new_email("team-invitee")
    name = f"Tam Teammate {short_id()}"
    page.get_by_label("Work e-mail address").fill(email)
    page.get_by_label("Full name (optional)").fill(name)
    trust.select_option(cast.trust_code)
    page.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/people/\d+$"))
    expect(heading(page)).to_have_text(name)
    expect(success_banner(page)).to_contain_text(f"Invitation sent to {email}.")
    expect(summary_value(page, "Status")).to_contain_text("Invited")
    expect(summary_value(page, "Role")).to_have_text(f"Trust staff, {cast.trust_name}")
    # Only the programme team change roles or deactivate people.
    expect(page.get_by_role("button", name="Change role")).to_have_count(0)
    expect(page.get_by_role("button", name="Deactivate")).to_have_count(0)
    assert link_in_mail(default_app, email, INVITATION).startswith("/invitations/")

    page.get_by_role("link", name="Back to people").click()
    expect(page).to_have_url(f"{live_server}/team")
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("Invited")
    problems_of(page).assert_none()


# --- 4: an invitation link works once; a withdrawn one not at all ---------------------------------


def fill_acceptance(page: Page, name: str) -> None:
    page.get_by_label("Full name").fill(name)
    set_password(page, NEW_PASSWORD)


def test_an_invitation_link_works_once(
    new_page: NewPage, live_server: str, invitation: Callable[[], tuple[str, int, str]]
) -> None:
    _, _, link = invitation()
    first, second = new_page(), new_page()
    # Both open the form: opening the link changes nothing.
    for page in (first, second):
        page.goto(f"{live_server}{link}")
        expect(heading(page)).to_have_text("Set up your account")

    fill_acceptance(first, "Ira Accepted")
    first.get_by_role("button", name="Create my account").click()
    expect(first).to_have_url(f"{live_server}/")

    fill_acceptance(second, "Ira Again")
    with second.expect_response(lambda r: r.request.method == "POST") as answer:
        second.get_by_role("button", name="Create my account").click()
    assert answer.value.status == 410
    expect(heading(second)).to_have_text("This invitation cannot be used")
    expect(second.locator("main")).to_contain_text(
        "This invitation has already been used. Each link works once."
    )

    third = new_page(javascript=False)
    response = third.goto(f"{live_server}{link}")
    assert response is not None and response.status == 410
    expect(heading(third)).to_have_text("This invitation cannot be used")
    expect(third.locator("main")).to_contain_text("already been used")
    problems_of(first).assert_none()
    problems = problems_of(second)
    problems.expect(r"status of 410")
    problems.assert_none()


def test_a_withdrawn_invitation_no_longer_works_and_a_new_one_does(
    new_page: NewPage,
    live_server: str,
    default_app: Flask,
    invitation: Callable[[], tuple[str, int, str]],
) -> None:
    email, person_id, old_link = invitation()
    admin = new_page()
    sign_in(admin, live_server, ADMIN, DEMO_PASSWORD)
    admin.goto(f"{live_server}/people/{person_id}")
    admin.get_by_role("button", name="Withdraw the invitation").click()
    expect(success_banner(admin)).to_contain_text("The invitation has been withdrawn.")
    expect(summary_value(admin, "Status")).to_contain_text("Invitation withdrawn or expired")
    expect(admin.get_by_role("button", name="Withdraw the invitation")).to_have_count(0)

    invitee = new_page()
    response = invitee.goto(f"{live_server}{old_link}")
    assert response is not None and response.status == 410
    expect(invitee.locator("main")).to_contain_text("has been replaced or withdrawn")

    admin.get_by_role("button", name="Send a new invitation").click()
    expect(success_banner(admin)).to_contain_text(f"A new invitation has been sent to {email}.")
    expect(summary_value(admin, "Status")).to_contain_text("Invited")
    new_link = link_in_mail(default_app, email, INVITATION)
    assert new_link != old_link
    response = invitee.goto(f"{live_server}{new_link}")
    assert response is not None and response.status == 200
    expect(heading(invitee)).to_have_text("Set up your account")
    problems_of(admin).assert_none()
    problems = problems_of(invitee)
    problems.expect(r"status of 410")
    problems.assert_none()


# --- 5: a forgotten password ---------------------------------------------------------------------


def ask_for_a_reset(page: Page, base: str, email: str) -> str:
    """From the sign-in page: ask for a reset link; return the text of the answer's page."""
    page.goto(f"{base}/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(f"{base}/password-reset")
    expect(heading(page)).to_have_text("Reset your password")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(heading(page)).to_have_text("Check your e-mail")
    expect(page).to_have_title(re.compile(r"^Check your e-mail"))
    # One page, not a page inside a page.
    expect(heading(page)).to_have_count(1)
    expect(page.locator("header.nhsuk-header")).to_have_count(1)
    return page.locator("main").inner_text()


def test_a_forgotten_password_is_reset_through_an_emailed_link(
    new_page: NewPage, reset_server: str, default_app: Flask, make_person: MakePerson
) -> None:
    email = make_person("forgetful", name="Fran Forgetful")
    page = new_page()
    # No address: the form comes back in place, with the error (htmx swaps only the form).
    page.goto(f"{reset_server}/password-reset")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Send the link").click()
    assert answer.value.status == 422
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter your e-mail address")
    expect(page.locator("#forgot-form")).to_have_count(1)
    expect(heading(page)).to_have_count(1)
    problems_of(page).expect(r"status of 422")

    known = ask_for_a_reset(page, reset_server, email)
    assert email in known

    page.goto(f"{reset_server}{link_in_mail(default_app, email, PASSWORD_RESET)}")
    expect(heading(page)).to_have_text("Choose a new password")
    set_password(page, NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(f"{reset_server}/")
    expect(success_banner(page)).to_contain_text("Your password has been changed.")
    page.goto(f"{reset_server}/account")
    expect(summary_value(page, "E-mail address")).to_have_text(email)
    sign_out(page)
    sign_in(page, reset_server, email, NEW_PASSWORD)
    problems_of(page).assert_none()

    # Someone without an account gets the same answer, and no e-mail.
    stranger = new_page()
    nobody = new_email("nobody")
    unknown = ask_for_a_reset(stranger, reset_server, nobody)
    assert unknown.replace(nobody, email) == known
    with default_app.app_context():
        sent = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == nobody)
        ).all()
        db.session.remove()
    assert sent == []
    problems_of(stranger).assert_none()


# --- 6: the idle-session warning -------------------------------------------------------------------

#: The warning shows 2 minutes before the 30-minute idle timeout.
JUST_BEFORE_WARNING = "27:50"


def warning_appears(page: Page) -> Locator:
    """Let the page sit idle until just after the warning is due; return the open dialog."""
    dialog = page.locator("#session-timeout")
    # The script that sets the timers runs at the end of the body: let it run first.
    page.wait_for_load_state("load")
    page.clock.fast_forward(JUST_BEFORE_WARNING)
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("00:20")
    expect(dialog).to_be_visible()
    assert is_open(dialog)
    return dialog


def test_the_idle_warning_appears_and_stay_signed_in_closes_it(
    page: Page, live_server: str, make_person: MakePerson
) -> None:
    page.clock.install()
    sign_in(page, live_server, make_person("idle"), PASSWORD)
    dialog = warning_appears(page)
    expect(dialog.get_by_role("heading")).to_have_text("You will be signed out soon")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()

    with page.expect_response(f"{live_server}/session/keep-alive") as answer:
        stay.click()
    assert answer.value.status == 204
    expect(dialog).to_be_hidden()
    assert not is_open(dialog)
    # The clock started again: the next warning is another 28 minutes away.
    expect(page).to_have_url(f"{live_server}/account")
    warning_appears(page)
    problems_of(page).assert_none()


def test_the_idle_warning_still_appears_after_htmx_loads_the_next_page(
    page: Page, live_server: str, make_person: MakePerson
) -> None:
    """Saving a name loads the account page again through htmx (HX-Location), new <dialog> and
    all: the warning must open that dialog, not the one the first page had."""
    page.clock.install()
    sign_in(page, live_server, make_person("idle-htmx"), PASSWORD)
    page.locator("#name-form").get_by_label("Full name").fill("Kit Renamed")
    page.locator("#name-form").get_by_role("button", name="Save name").click()
    expect(success_banner(page)).to_contain_text("Your name has been updated.")

    dialog = warning_appears(page)
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    problems_of(page).assert_none()


def test_stay_signed_in_after_the_session_ended_goes_to_sign_in(
    page: Page, live_server: str, default_app: Flask, make_person: MakePerson
) -> None:
    """The server ended the session meanwhile (here: deactivated; as well: a laptop asleep past
    the timeout): "Stay signed in" must not pretend to have worked."""
    email = make_person("idle-ended")
    page.clock.install()
    sign_in(page, live_server, email, PASSWORD)
    dialog = warning_appears(page)
    with default_app.app_context():
        person = find_by_email(email)
        assert person is not None
        set_active(person, False, actor=the_admin())
        db.session.commit()
        db.session.remove()
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/sign-in"))
    expect(heading(page)).to_have_text("Sign in")
    problems_of(page).assert_none()


# --- 7: accessibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    live: str
    reset: str
    cast: Cast


Scene = Callable[[Page, Stage], None]


def _goto(path: str, who: str | None = None, *, status: int = 200) -> Scene:
    """Open `path` (formatted with the cast's fields) as "admin", "coordinator" or anyone."""

    def scene(page: Page, stage: Stage) -> None:
        if who == "admin":
            sign_in(page, stage.live, ADMIN, DEMO_PASSWORD)
        elif who == "coordinator":
            sign_in(page, stage.live, stage.cast.coordinator, PASSWORD)
        response = page.goto(f"{stage.live}{path.format(**vars(stage.cast))}")
        assert response is not None
        assert response.status == status

    return scene


def _invite_errors(page: Page, stage: Stage) -> None:
    """An address that is not one and a name too long: refused in place."""
    _goto("/people/invite", "admin")(page, stage)
    page.get_by_label("Work e-mail address").fill("not-an-email-address")
    page.get_by_label("Full name (optional)").fill("N" * 121)
    page.get_by_label("Role", exact=True).select_option(label="SHA coordinator")
    page.get_by_label("Region (for SHA coordinators)").select_option(INVITED_REGION)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Send invitation").click()
    assert answer.value.status == 422
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter an e-mail address in the correct format")
    expect(summary).to_contain_text("Full name must be 120 characters or fewer")
    expect(heading(page)).to_have_count(1)
    problems_of(page).expect(r"status of 422")


def _role_errors(page: Page, stage: Stage) -> None:
    """Trust staff made a coordinator with no region: refused in place."""
    _goto("/people/{staff_id}", "admin")(page, stage)
    form = page.locator("#scope-form")
    form.get_by_label("Role", exact=True).select_option(label="SHA coordinator")
    form.get_by_label("Region (for SHA coordinators)").select_option("")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Change role").click()
    assert answer.value.status == 422
    expect(page.locator("#scope-form .nhsuk-error-summary")).to_contain_text(
        "Choose the coordinator's region"
    )
    expect(page.locator("#scope-form")).to_have_count(1)
    expect(heading(page)).to_have_count(1)
    problems_of(page).expect(r"status of 422")


def _accept_errors(page: Page, stage: Stage) -> None:
    _goto("{invitation}")(page, stage)
    page.get_by_label("Full name").fill("")
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_label("Confirm new password", exact=True).fill("not the same")
    page.get_by_role("button", name="Create my account").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter your full name")
    expect(summary).to_contain_text("Password must be at least")
    expect(summary).to_contain_text("The passwords do not match")
    problems_of(page).expect(r"status of 422")


def _check_your_email(page: Page, stage: Stage) -> None:
    ask_for_a_reset(page, stage.reset, new_email("nobody"))


def _people_filtered(page: Page, stage: Stage) -> None:
    """The list of people, filtered with htmx: the URL follows the filters."""
    _goto("/admin/people", "admin")(page, stage)
    page.get_by_label("Role", exact=True).select_option("trust")
    page.get_by_label("Region", exact=True).select_option(stage.cast.region)
    page.get_by_label("Status", exact=True).select_option("invited")
    page.get_by_label("Search by name or e-mail address").fill("Noor Invited")
    expect(page).to_have_url(re.compile(r"[?&]role=trust(&|$)"))
    expect(page).to_have_url(re.compile(rf"[?&]region={stage.cast.region}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]q=Noor(\+|%20)Invited(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]status=invited(&|$)"))
    results = page.locator("#people-results")
    expect(results).to_contain_text("1 person found.")
    expect(results.get_by_role("link", name="Noor Invited-Whitfield")).to_have_attribute(
        "href", f"/people/{stage.cast.invited_id}"
    )


def _session_dialog(page: Page, stage: Stage) -> None:
    page.clock.install()
    sign_in(page, stage.live, stage.cast.coordinator, PASSWORD)
    warning_appears(page)


SCENES: dict[str, Scene] = {
    "invite-admin": _goto("/people/invite", "admin"),
    "invite-coordinator": _goto("/people/invite", "coordinator"),
    "invite-errors": _invite_errors,
    "person-invited": _goto("/people/{invited_id}", "admin"),
    "person-active": _goto("/people/{staff_id}", "admin"),
    "person-by-coordinator": _goto("/people/{invited_id}", "coordinator"),
    "role-errors": _role_errors,
    "team": _goto("/team", "coordinator"),
    "accept-invitation": _goto("{invitation}"),
    "accept-invitation-errors": _accept_errors,
    "link-used": _goto("{used_invitation}", status=410),
    "password-reset": _goto("/password-reset"),
    "check-your-email": _check_your_email,
    "reset-password": _goto("{reset_link}"),
    "people-filtered": _people_filtered,
    "session-dialog": _session_dialog,
}


def _scene_params() -> list[pytest.ParameterSet]:
    return [
        pytest.param(scene, viewport, id=f"{scene}-{size}")
        for scene in SCENES
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE))
    ]


@pytest.mark.parametrize(("scene", "viewport"), _scene_params())
def test_people_page_is_accessible(
    new_page: NewPage,
    live_server: str,
    reset_server: str,
    cast: Cast,
    scene: str,
    viewport: dict[str, int],
) -> None:
    page = new_page(viewport=viewport)
    SCENES[scene](page, Stage(live_server, reset_server, cast))
    assert_accessible(page)
    problems = problems_of(page)
    problems.expect(r"status of 410")
    problems.assert_none()


# --- 8: screenshots --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)], ids=["phone", "desktop"]
)
def test_people_screenshots(
    new_page: NewPage, live_server: str, cast: Cast, size: str, viewport: dict[str, int]
) -> None:
    admin = new_page(viewport=viewport)
    sign_in(admin, live_server, ADMIN, DEMO_PASSWORD)
    admin.goto(f"{live_server}/people/invite")
    expect(heading(admin)).to_have_text("Invite a person")
    check_and_save(admin, f"people-invite-{size}")

    admin.goto(f"{live_server}/people/{cast.invited_id}")
    expect(heading(admin)).to_have_text("Noor Invited-Whitfield")
    check_and_save(admin, f"person-invited-{size}")
    problems_of(admin).assert_none()

    admin.goto(f"{live_server}/admin/people?region={cast.region}&role=trust")
    expect(admin.locator("#people-results")).to_contain_text(cast.staff)
    check_and_save(admin, f"admin-people-{size}")
    problems_of(admin).assert_none()

    invitee = new_page(viewport=viewport)
    invitee.goto(f"{live_server}{cast.invitation}")
    expect(heading(invitee)).to_have_text("Set up your account")
    check_and_save(invitee, f"accept-invitation-{size}")
    problems_of(invitee).assert_none()

    coordinator = new_page(viewport=viewport)
    coordinator.clock.install()
    sign_in(coordinator, live_server, cast.coordinator, PASSWORD)
    coordinator.goto(f"{live_server}/team")
    expect(heading(coordinator)).to_have_text("Trust staff")
    check_and_save(coordinator, f"team-{size}")
    warning_appears(coordinator)
    # What the person sees (a full-page picture would show the backdrop over the first screen only).
    coordinator.screenshot(path=SCREENSHOTS / f"session-warning-{size}.png", animations="disabled")
    problems_of(coordinator).assert_none()
