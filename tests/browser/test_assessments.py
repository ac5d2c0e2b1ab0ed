"""A trust's self-assessment in the browser, with JavaScript and without: start a round (refused
in place first), answer a pathway (saved as positions are chosen with JavaScript, with "Save and
continue" without), come back to it, complete it, choose priorities, write an overdue action and
see it on the trust's home; the spectrum chart fits a phone; a trust shares a completed round
and its region's coordinator sees it counted and makes its priority an event's focus, which the
trust's home then links. axe checks each page on the way.

Each test has a trust of its own in the live server's database (the demo's placeholder framework
is the current version), so the tests need no order and leave the demo trusts alone.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from portal.assessments.models import ParticipantRole
from portal.assessments.pathways import Pathway
from portal.assessments.rounds import (
    AnswerValues,
    RoundStart,
    complete_round,
    save_answers,
    set_priorities,
    start_round,
)
from portal.auth.models import Role
from portal.auth.service import create_user, find_by_email
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from portal.web.dates import today_in_london
from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    problems_of,
    scripts_have_run,
    settled,
    sign_in,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def new_trust(default_app: Flask) -> Callable[[], tuple[str, str]]:
    """A new trust without rounds, and its staff; return (ODS code, staff e-mail)."""

    def make() -> tuple[str, str]:
        with default_app.app_context():
            code = f"S{uuid.uuid4().hex[:4].upper()}"
            trust = Trust(
                name=f"Browser Assessment NHS Trust {code}",
                ods_code=code,
                region=region_by_slug("north-east"),
                participating=True,
            )
            db.session.add(trust)
            db.session.flush()
            email = f"browser.assess.{code.lower()}@example.org"
            create_user(email, Role.TRUST, name="Asa Sess", password=PASSWORD, trust=trust)
            db.session.commit()
            db.session.remove()
        return code, email

    return make


def fill_date(page: Page, name: str, day: object) -> None:
    page.locator(f"#{name}-day").fill(str(day.day))  # type: ignore[attr-defined]
    page.locator(f"#{name}-month").fill(str(day.month))  # type: ignore[attr-defined]
    page.locator(f"#{name}-year").fill(str(day.year))  # type: ignore[attr-defined]


def characteristic(page: Page, code: str) -> Locator:
    """The part of a pathway's form about one characteristic (headed by its code)."""
    return page.locator("section.portal-characteristic").filter(has_text=code)


def choose(page: Page, code: str, question: str, label: str) -> None:
    """Choose a position of one characteristic."""
    group = characteristic(page, code).get_by_role("group", name=re.compile(question))
    group.get_by_label(label).check()


def evidence(page: Page, code: str) -> Locator:
    return characteristic(page, code).get_by_label(re.compile(r"Evidence \(optional\)"))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_team_assesses_its_service_and_plans_actions(
    new_page: NewPage,
    live_server: str,
    new_trust: Callable[[], tuple[str, str]],
    javascript: bool,
) -> None:
    _code, email = new_trust()
    page = new_page(javascript=javascript)
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Self-assessment").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-assessment")
    page.get_by_role("button", name="Start a new round").click()
    scripts_have_run(page)

    # Refused in place (with JavaScript) or on a new page, every mistake next to its field.
    page.get_by_role("button", name="Start the round").click()
    summary = page.locator(".nhsuk-error-summary")
    if javascript:
        expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the date the team met")
    expect(summary).to_contain_text("Select who took part")
    expect(page).to_have_title(re.compile(r"^Error: Start a self-assessment round"))
    if javascript:
        assert_accessible(page)

    fill_date(page, "held_on", today_in_london() - timedelta(days=1))
    page.get_by_label("Midwife", exact=True).check()
    page.get_by_label("Service user representative").check()
    page.get_by_label("Vaginal birth after caesarean (VBAC)").check()
    page.get_by_role("button", name="Start the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vaginal birth after caesarean (VBAC)"
    )
    scripts_have_run(page)
    answer_page = page.url
    if javascript:
        assert_accessible(page)

    evidence(page, "VB1").fill("Audit of 40 notes")
    # Choosing a position sends the whole form (the note too, without waiting for its pause).
    choose(page, "VB1", "now", "2. Starting")
    choose(page, "VB1", "aspire", "4. Consistently achieved")
    if javascript:
        # Saved as they go: the status line says so, and the page comes back as it was left.
        expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"Saved at"))
        settled(page)
        page.goto(answer_page)
        expect(evidence(page, "VB1")).to_have_value("Audit of 40 notes")
        choose(page, "VB2", "now", "3. Mostly in place")
        choose(page, "VB2", "aspire", "3. Mostly in place")
        settled(page)
    else:
        page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Self-assessment held on")
        page.get_by_role("link", name="Vaginal birth after caesarean (VBAC)").click()
        expect(evidence(page, "VB1")).to_have_value("Audit of 40 notes")
        choose(page, "VB2", "now", "3. Mostly in place")
        choose(page, "VB2", "aspire", "3. Mostly in place")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Self-assessment held on")
    scripts_have_run(page)
    expect(page.locator("#round-page table").first).to_contain_text("2 of 4: Starting")
    if javascript:
        assert_accessible(page)

    page.get_by_role("button", name="Complete the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your priorities")
    scripts_have_run(page)
    if javascript:
        assert_accessible(page)
    # The largest gap first: VB1 (2 to 4) before VB2 (3 to 3).
    labels = page.locator(".nhsuk-checkboxes__label").all_inner_texts()
    assert labels[0].startswith("VB1") and labels[1].startswith("VB2"), labels
    page.get_by_label(re.compile(r"^\s*VB1 ")).check()
    page.get_by_role("button", name="Save the priorities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan")
    scripts_have_run(page)

    # An action whose date has passed: overdue on the plan and on the trust's home.
    page.get_by_role("button", name="Add the action").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Say what will be done")
    if javascript:
        assert_accessible(page)
    page.get_by_label("What will be done").fill("Audit VBAC conversations")
    page.get_by_label("Owner").select_option(label="Obstetrician")
    fill_date(page, "due_on", today_in_london() - timedelta(days=3))
    page.get_by_role("button", name="Add the action").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "The action has been added to the plan."
    )
    plan = page.locator("table").first
    expect(plan).to_contain_text("Audit VBAC conversations")
    expect(plan).to_contain_text("Overdue")
    if javascript:
        assert_accessible(page)
    page.goto(f"{live_server}/")
    expect(page.locator("#overdue-actions")).to_be_visible()
    expect(page.get_by_role("link", name="Audit VBAC conversations")).to_be_visible()
    if javascript:
        problems = problems_of(page)
        problems.expect(r"status of 422")
        problems.assert_none()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_spectrum_chart_fits_the_screen(
    new_page: NewPage,
    live_server: str,
    new_trust: Callable[[], tuple[str, str]],
    viewport: dict[str, int],
) -> None:
    code, email = new_trust()
    page = new_page(viewport=viewport)
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server}/trusts/{code}/assessments/new")
    fill_date(page, "held_on", today_in_london())
    page.get_by_label("Obstetrician").check()
    page.get_by_label("Organisational characteristics").check()
    page.get_by_role("button", name="Start the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisational characteristics")
    page.get_by_role("link", name="Back to the round").click()
    visible = page.locator("figure.portal-chart svg:visible")
    expect(visible).to_have_count(1)
    box = visible.bounding_box()
    assert box is not None and box["width"] <= viewport["width"]
    expect(visible).to_have_attribute("role", "img")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    size = "phone" if viewport == PHONE else "desktop"
    page.screenshot(path=f"/tmp/assessment-round-{size}.png", full_page=True)


@pytest.fixture
def completed_round(
    default_app: Flask, new_trust: Callable[[], tuple[str, str]]
) -> tuple[str, str, int]:
    """A new trust's completed round on the VBAC pathway, VB2 its priority, not shared:
    (ODS code, staff e-mail, round id)."""
    code, email = new_trust()
    with default_app.app_context():
        staff = find_by_email(email)
        assert staff is not None and staff.trust is not None
        start = RoundStart(
            today_in_london() - timedelta(days=2),
            frozenset({ParticipantRole.MIDWIFE}),
            frozenset({Pathway.VBAC}),
        )
        round_ = start_round(staff.trust, start, actor=staff)
        answers = {a.characteristic.code: a for a in round_.answers}
        positions = {"VB1": (3, 3), "VB2": (1, 4)}
        save_answers(
            round_,
            {answers[c].characteristic_id: AnswerValues(*p) for c, p in positions.items()},
            actor=staff,
        )
        complete_round(round_, actor=staff)
        set_priorities(round_, [answers["VB2"].id], actor=staff)
        round_id = round_.id
        db.session.remove()
    return code, email, round_id


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_trust_shares_its_round_and_the_coordinator_plans_an_events_focus_on_it(
    new_page: NewPage,
    live_server: str,
    completed_round: tuple[str, str, int],
    javascript: bool,
) -> None:
    code, email, round_id = completed_round
    staff = new_page(javascript=javascript, viewport=PHONE)
    sign_in(staff, live_server, email, PASSWORD)
    staff.goto(f"{live_server}/trusts/{code}/assessments/{round_id}")
    sharing = staff.locator("#sharing")
    expect(sharing).to_contain_text("Only your trust’s staff can see this round")
    sharing.get_by_role("button", name="Share with the network").click()
    expect(staff.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "shared with your region’s coordinator and the programme team"
    )
    expect(staff.locator("#sharing")).to_contain_text("Shared on")
    if javascript:
        assert_accessible(staff)

    # The coordinator sees the trust among those sharing, and its priority counted.
    coordinator = new_page(javascript=javascript, viewport=PHONE)
    sign_in(coordinator, live_server, "coordinator.north-east@example.org", DEMO_PASSWORD)
    coordinator.goto(f"{live_server}/self-assessment")  # sent on to the region's page
    expect(coordinator).to_have_url(f"{live_server}/regions/north-east/self-assessment")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Shared self-assessments")
    expect(coordinator.locator("#sharing-trusts")).to_contain_text(
        f"Browser Assessment NHS Trust {code}"
    )
    expect(coordinator.locator("#most-often-priorities")).to_contain_text("VB2")
    assert coordinator.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if javascript:
        assert_accessible(coordinator)

    # The focus form: refused in place when a choice has gone stale, then saved.
    coordinator.locator("#event-focus-list a", has_text=re.compile("the focus")).first.click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Choose the event’s focus")
    scripts_have_run(coordinator)
    coordinator.evaluate(
        "() => { const box = document.querySelector('input[name=focus]');"
        " box.value = 'vbac:GONE'; box.checked = true; }"
    )
    coordinator.get_by_role("button", name="Save the focus").click()
    expect(coordinator.locator(".nhsuk-error-summary")).to_be_visible()
    if javascript:
        assert_accessible(coordinator)
    coordinator.get_by_label(re.compile(r"^\s*VB2 ")).check()
    coordinator.get_by_role("button", name="Save the focus").click()
    expect(coordinator.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "The event’s focus is saved."
    )
    expect(coordinator.locator("#focus-list")).to_contain_text("VB2")
    event_path = coordinator.url.removeprefix(live_server)

    # The trust's home links its priority to the event that now focuses on it.
    staff.goto(f"{live_server}/")
    priority = staff.locator("#priority-events li").filter(has_text="VB2")
    expect(priority.locator(f'a[href="{event_path}"]')).to_be_visible()
    if javascript:
        problems = problems_of(coordinator)
        problems.expect(r"status of 422")
        problems.assert_none()
