"""A trust's measures in the browser: staff give a month's figures (refused in place with
JavaScript, on a new page without), correct them, and find the new month on the chart's table and
in its sentence; the charts read on a phone and a desktop.

Each test has a trust of its own, made in the live server's database with a year of figures, so
the tests need no particular order and leave the demo trusts alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.auth.models import Role
from portal.auth.service import create_user
from portal.extensions import db
from portal.measures.service import current_month, month_label, record_month
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from tests.browser.conftest import NewPage
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, problems_of, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

LAST_MONTH = (current_month() - timedelta(days=1)).replace(day=1)
YEAR = {
    "deliveries": 300,
    "caesareans_elective": 30,
    "caesareans_emergency": 45,
    "normal_births": 120,
    "previous_caesarean": 40,
    "vbac": 12,
}


def months_before(last: date, count: int) -> list[date]:
    months = [last]
    while len(months) < count:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months[::-1]


@pytest.fixture
def trust_with_a_year(default_app: Flask) -> Callable[[], tuple[str, str]]:
    """A new trust with twelve months of figures ending the month before last, and its staff;
    return (ODS code, staff e-mail)."""

    def make() -> tuple[str, str]:
        with default_app.app_context():
            code = f"M{uuid.uuid4().hex[:4].upper()}"
            trust = Trust(
                name=f"Browser Measures NHS Trust {code}",
                ods_code=code,
                region=region_by_slug("north-east"),
                participating=True,
            )
            db.session.add(trust)
            db.session.flush()
            email = f"browser.measures.{code.lower()}@example.org"
            create_user(email, Role.TRUST, name="Sam Figures", password=PASSWORD, trust=trust)
            db.session.commit()
            before_last = (LAST_MONTH - timedelta(days=1)).replace(day=1)
            for month in months_before(before_last, 12):
                record_month(trust, month, YEAR, actor=None)
            db.session.remove()
        return code, email

    return make


def give_last_month(page: Page, *, normal_births: str) -> None:
    page.get_by_label("Month").select_option(label=month_label(LAST_MONTH))
    for label, value in [
        ("Deliveries", "400"),
        ("Elective caesarean sections", "30"),
        ("Emergency caesarean sections", "50"),
        ("Normal births", normal_births),
        ("Women with a previous caesarean", "40"),
        ("Vaginal births after caesarean", "16"),
    ]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save the figures").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_give_a_month_see_it_refused_then_charted(
    new_page: NewPage,
    live_server: str,
    trust_with_a_year: Callable[[], tuple[str, str]],
    javascript: bool,
    viewport: dict[str, int],
) -> None:
    code, email = trust_with_a_year()
    page = new_page(javascript=javascript, viewport=viewport)
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server}/trusts/{code}/measures")
    expect(page.get_by_role("heading", level=1)).to_have_text("Measures")
    page.get_by_role("link", name="Give a month’s figures").click()

    give_last_month(page, normal_births="321")  # more than the 320 that were not caesareans
    summary = page.locator(".nhsuk-error-summary")
    if javascript:  # the design system's script moves the focus there
        expect(summary).to_be_focused()
    expect(summary).to_contain_text("Normal births (321) must not be more than the deliveries")
    expect(page).to_have_title("Error: Give a month’s figures – Caesarean section network")
    # Nothing typed is lost.
    expect(page.get_by_label("Deliveries", exact=True)).to_have_value("400")
    expect(page.get_by_label("Vaginal births after caesarean", exact=True)).to_have_value("16")
    if javascript:  # axe runs in the page (the layout checks below need no script either way)
        assert_accessible(page)

    page.get_by_label("Normal births", exact=True).fill("150")
    page.get_by_role("button", name="Save the figures").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        f"The figures for {month_label(LAST_MONTH)} have been saved."
    )
    expect(page).to_have_url(f"{live_server}/trusts/{code}/measures")
    total = page.locator(
        "section", has=page.get_by_role("heading", name="Total caesarean section rate")
    )
    expect(total).to_contain_text(
        f"Total caesarean section rate: 20.0% in {month_label(LAST_MONTH)}"
    )
    # One drawing shows at this width, the other is hidden.
    visible = total.locator("svg.portal-spc-chart:visible")
    expect(visible).to_have_count(1)
    box = visible.bounding_box()
    assert box is not None and box["width"] <= viewport["width"]
    total.get_by_text("the figures as a table").click()
    expect(total.locator("table tbody tr").first).to_contain_text(month_label(LAST_MONTH))
    expect(total.locator("table tbody tr").first).to_contain_text("80 of 400")
    if javascript:  # a page without script cannot be asked; the layout is the same
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(page)
        problems = problems_of(page)
        problems.expect(r"status of 422")
        problems.assert_none()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_staff_correct_a_month_from_the_list(
    new_page: NewPage,
    live_server: str,
    trust_with_a_year: Callable[[], tuple[str, str]],
    javascript: bool,
) -> None:
    code, email = trust_with_a_year()
    page = new_page(javascript=javascript)
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server}/trusts/{code}/measures/months")
    first = page.locator("table tbody tr").first
    first.get_by_role("link", name="Correct").click()
    page.get_by_label("Deliveries", exact=True).fill("")
    page.get_by_role("button", name="Save the corrections").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the number of deliveries")
    page.get_by_label("Deliveries", exact=True).fill("310")
    page.get_by_role("button", name="Save the corrections").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "have been corrected"
    )
    expect(page.locator("table tbody tr").first).to_contain_text("310")
