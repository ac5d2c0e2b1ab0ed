"""The audit log in the browser, as the programme team reads it on a phone and a desktop, with
JavaScript on and off: sentences under each day, details folded away, filters that still work,
and a page that stays short (46 entries once took 12,700 px on a phone).

The module writes 46 entries of its own in January 2012, long before any other test's or the
demo's, naming demo objects that exist and some that do not; each test looks at that month only.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.service import find_by_email
from portal.demo import DEMO_PASSWORD
from portal.events.models import NetworkEvent
from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.registrations.models import Registration
from portal.stories.models import Story, StoryState
from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    check_and_save,
    problems_of,
    sign_in,
)

pytestmark = pytest.mark.browser

ADMIN = "admin@example.org"
JANUARY_2012 = (
    "date_from-day=1&date_from-month=1&date_from-year=2012"
    "&date_to-day=31&date_to-month=1&date_to-year=2012"
)
ENTRIES = 46
#: The tallest the page of these 46 entries may be on a phone: as a table it was 13,414 px; as
#: sentences it measured 6,552 px (header and filters included).
PHONE_HEIGHT_LIMIT = 7_000
GONE = "999999"


@pytest.fixture(scope="module")
def january(default_app: Flask) -> None:
    write_january(default_app)


def write_january(app: Flask) -> None:
    """46 entries over three days of January 2012, of every kind of object."""
    with app.app_context():
        admin = find_by_email(ADMIN)
        assert admin is not None
        event = db.session.scalars(select(NetworkEvent).order_by(NetworkEvent.id)).first()
        booking = db.session.scalars(select(Registration).order_by(Registration.id)).first()
        trust = db.session.scalars(select(Trust).order_by(Trust.id)).first()
        region = db.session.scalars(select(Region).order_by(Region.id)).first()
        story = db.session.scalars(
            select(Story).where(Story.state == StoryState.PUBLISHED).order_by(Story.id)
        ).first()
        assert event and booking and trust and region and story
        kinds = [
            ("registration.checked_in", "registration", booking.id, {"attended": True}),
            ("registration.confirmed", "registration", booking.id, {"state": "confirmed"}),
            ("registration.withdrawn", "registration", GONE, {"by": "attendee"}),
            ("event.edited", "event", event.id, None),
            ("event.published", "event", GONE, None),
            ("story.published", "story", story.id, None),
            ("story.returned", "story", GONE, None),
            ("trust.updated", "trust", trust.id, None),
            ("region.updated", "region", region.id, None),
            ("user.role_changed", "user", admin.id, None),
            ("measures.month_corrected", "monthly_counts", 1, None),
        ]
        start = datetime(2012, 1, 12, 17, 0, tzinfo=UTC)
        for n in range(ENTRIES):
            action, kind, object_id, after = kinds[n % len(kinds)]
            details = {**(after or {})}
            if kind == "registration":
                details.update(event_id=booking.event_id, trust_id=booking.trust_id)
            before = None
            if action == "event.edited":
                before = {"title": "Old title", "capacity": 40, "event_date": "2012-03-01"}
                details = {"title": event.title, "capacity": 60, "event_date": "2012-03-08"}
            if action == "user.role_changed":
                before = {"role": "coordinator", "region_id": region.id, "trust_id": None}
                details = {"role": "admin", "region_id": None, "trust_id": None}
            if action == "measures.month_corrected":
                before = {"trust": trust.ods_code, "month": "2011-12", "deliveries": 310}
                details = {"trust": trust.ods_code, "month": "2011-12", "deliveries": 301}
            db.session.add(
                AuditEntry(
                    at=start - timedelta(minutes=67 * n),
                    actor_id=None if action == "registration.withdrawn" else admin.id,
                    action=action,
                    object_type=kind,
                    object_id=str(object_id),
                    before=before,
                    after=details or None,
                )
            )
        db.session.commit()
        db.session.remove()


def signed_in_admin(new_page: NewPage, live_server: str, **options: object) -> Page:
    page = new_page(**options)
    sign_in(page, live_server, ADMIN, DEMO_PASSWORD)
    return page


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize(
    ("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)], ids=["phone", "desktop"]
)
def test_the_log_reads_as_sentences_under_each_day_and_stays_short(
    new_page: NewPage,
    live_server: str,
    january: None,
    size: str,
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    page = signed_in_admin(new_page, live_server, viewport=viewport, javascript=javascript)
    page.goto(f"{live_server}/admin/audit?{JANUARY_2012}")
    results = page.locator("#audit-results")
    expect(results).to_contain_text(f"{ENTRIES} entries found.")
    days = results.locator("h2")
    expect(days).to_have_text(
        ["Thursday 12 January 2012", "Wednesday 11 January 2012", "Tuesday 10 January 2012"]
    )
    first = results.locator(".portal-audit__entry").first
    expect(first.locator("time")).to_have_text("17:00")
    expect(first).to_contain_text("Pat Programme (demo) checked in")
    expect(results).to_contain_text("An attendee whose booking has since been removed withdrew")
    expect(results).to_contain_text("published a deleted event.")
    expect(first.locator(".nhsuk-details__text")).not_to_be_visible()  # until opened

    # The details fold open (a native <details>, with or without JavaScript), in words.
    edited = results.locator(".portal-audit__entry", has_text="changed the details of “").first
    summary = edited.locator("summary")
    expect(summary).to_have_text(re.compile(r"^\s*Details of the change at \d\d:\d\d\s*$"))
    expect(edited.locator(".nhsuk-details__text")).not_to_be_visible()
    summary.click()
    text = edited.locator(".nhsuk-details__text")
    expect(text).to_be_visible()
    expect(text).to_contain_text("Places:")
    expect(text).to_contain_text("Thursday 1 March 2012")
    expect(text).to_contain_text("Recorded as event.edited")
    if javascript:  # axe runs in the page
        assert_accessible(page)
    summary.click()
    expect(text).not_to_be_visible()

    # Measured from outside the page, which needs no script: the page's height, and nothing
    # wider than the screen.
    whole = page.locator("html").bounding_box()
    assert whole is not None
    height = round(whole["height"])
    print(f"\n{size} {'js' if javascript else 'no-js'}: {ENTRIES} entries, page {height}px tall")
    if size == "phone":
        assert height < PHONE_HEIGHT_LIMIT, f"{ENTRIES} entries take {height}px on a phone"
    for box in (b.bounding_box() for b in results.locator(".portal-audit__entry").all()):
        assert box is not None and box["x"] + box["width"] <= viewport["width"]
    if javascript:
        check_and_save(page, f"admin-audit-sentences-{size}")
    problems_of(page).assert_none()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_filtering_the_log_keeps_its_days_and_sentences(
    new_page: NewPage, live_server: str, january: None, javascript: bool
) -> None:
    page = signed_in_admin(new_page, live_server, viewport=PHONE, javascript=javascript)
    page.goto(f"{live_server}/admin/audit?{JANUARY_2012}")
    page.get_by_label("Action").select_option("registration.checked_in")
    if not javascript:
        page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"action=registration\.checked_in"))
    results = page.locator("#audit-results")
    expect(results).to_contain_text("5 entries found.")
    expect(results.locator(".portal-audit__sentence")).to_have_count(5)
    for sentence in results.locator(".portal-audit__sentence").all():
        expect(sentence).to_contain_text("Pat Programme (demo) checked in")
    expect(results.locator("h2")).to_have_count(3)
    # The CSV link keeps the filters.
    expect(
        results.get_by_role("link", name="Download these entries as a CSV file")
    ).to_have_attribute(
        "href", re.compile(r"^/admin/audit\.csv\?.*action=registration\.checked_in")
    )
    problems_of(page).assert_none()
