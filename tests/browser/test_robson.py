"""A trust's Robson groups in the browser: staff give a month's counts (refused in place with
JavaScript, on a new page without), then read the report, its table and its chart, on a phone
and a desktop.

Each test has a trust of its own, made in the live server's database, so the tests need no
particular order and leave the demo trusts alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.auth.models import Role
from portal.auth.service import create_user
from portal.extensions import db
from portal.measures.service import current_month, month_label
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from tests.browser.conftest import NewPage
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, problems_of, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

LAST_MONTH = (current_month() - timedelta(days=1)).replace(day=1)
COUNTS = {
    "1": (150, 15),
    "2a": (60, 18),
    "2b": (20, 20),
    "3": (130, 2),
    "4a": (25, 5),
    "4b": (10, 10),
    "5": (50, 35),
    "6": (10, 9),
    "7": (8, 6),
    "8": (7, 4),
    "9": (2, 1),
    "10": (28, 0),
}


@pytest.fixture
def new_trust(default_app: Flask) -> Callable[[], tuple[str, str]]:
    """A new trust without Robson counts, and its staff; return (ODS code, staff e-mail)."""

    def make() -> tuple[str, str]:
        with default_app.app_context():
            code = f"R{uuid.uuid4().hex[:4].upper()}"
            trust = Trust(
                name=f"Browser Robson NHS Trust {code}",
                ods_code=code,
                region=region_by_slug("north-east"),
                participating=True,
            )
            db.session.add(trust)
            db.session.flush()
            email = f"browser.robson.{code.lower()}@example.org"
            create_user(email, Role.TRUST, name="Rob Son", password=PASSWORD, trust=trust)
            db.session.commit()
            db.session.remove()
        return code, email

    return make


def give_counts(page: Page, counts: dict[str, tuple[int, int]]) -> None:
    for code, (women, caesareans) in counts.items():
        page.locator(f"#women_{code}").fill(str(women))
        page.locator(f"#caesareans_{code}").fill(str(caesareans))
    page.get_by_role("button", name="Save the month").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_give_a_month_see_it_refused_then_reported(
    new_page: NewPage,
    live_server: str,
    new_trust: Callable[[], tuple[str, str]],
    javascript: bool,
    viewport: dict[str, int],
) -> None:
    code, email = new_trust()
    page = new_page(javascript=javascript, viewport=viewport)
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server}/trusts/{code}/robson")
    expect(page.get_by_role("heading", level=1)).to_have_text("Robson groups")
    expect(page.locator("#no-months")).to_contain_text("No Robson counts have been given yet")
    if javascript:
        assert_accessible(page)
    page.get_by_role("link", name="Give a month’s Robson counts").click()

    page.get_by_label("Month").select_option(label=month_label(LAST_MONTH))
    give_counts(page, {**COUNTS, "3": (130, 131)})  # more caesareans than women
    summary = page.locator(".nhsuk-error-summary")
    if javascript:  # the design system's script moves the focus there
        expect(summary).to_be_focused()
    expect(summary).to_contain_text("131")
    expect(page).to_have_title("Error: Give a month’s Robson counts – Caesarean section network")
    # Nothing typed is lost.
    expect(page.locator("#women_1")).to_have_value("150")
    expect(page.locator("#caesareans_3")).to_have_value("131")
    if javascript:
        assert_accessible(page)

    page.locator("#caesareans_3").fill("2")
    page.get_by_role("button", name="Save the month").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        f"The Robson counts for {month_label(LAST_MONTH)} have been saved."
    )
    expect(page).to_have_url(f"{live_server}/trusts/{code}/robson")
    table = page.locator("table.portal-robson-table")
    expect(table.locator("tr.portal-robson-total")).to_contain_text("500")
    expect(table.locator("tr.portal-robson-total")).to_contain_text("25.00")
    # One drawing shows at this width, the other is hidden; it fits.
    visible = page.locator("svg.portal-robson-chart:visible")
    expect(visible).to_have_count(1)
    box = visible.bounding_box()
    assert box is not None and box["width"] <= viewport["width"]
    size = "phone" if viewport == PHONE else "desktop"
    page.screenshot(
        path=f"/tmp/robson-report-{size}-{'js' if javascript else 'nojs'}.png", full_page=True
    )
    if javascript:  # a page without script cannot be asked; the layout is the same
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(page)
        problems = problems_of(page)
        problems.expect(r"status of 422")
        problems.assert_none()
