"""The account page: changing one's name in place with htmx, and with plain forms."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ACCOUNT_EMAIL
from tests.browser.helpers import problems_of, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def new_name() -> str:
    # Unique per run, so the test never depends on what an earlier test left behind.
    return f"Jordan Browser {uuid.uuid4().hex[:6]}"


def test_an_empty_name_is_refused_in_place(page: Page, live_server: str) -> None:
    sign_in(page, live_server, ACCOUNT_EMAIL, PASSWORD)
    name_form = page.locator("#name-form")
    name_form.get_by_label("Full name").fill("")
    with page.expect_response(f"{live_server}/account/name") as answer:
        name_form.get_by_role("button", name="Save name").click()

    assert answer.value.status == 422
    summary = name_form.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter your full name")
    expect(name_form.locator(".nhsuk-error-message")).to_contain_text("Enter your full name")
    expect(page).to_have_url(f"{live_server}/account")
    # Only the name form was replaced: the rest of the page is as it was.
    expect(page.locator("#name-form")).to_have_count(1)
    expect(page.locator("#password-form .nhsuk-error-summary")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    problems = problems_of(page)
    problems.expect(r"status of 422")
    problems.assert_none()


def test_a_new_name_is_saved_with_htmx(page: Page, live_server: str) -> None:
    sign_in(page, live_server, ACCOUNT_EMAIL, PASSWORD)
    name = new_name()
    name_form = page.locator("#name-form")
    name_form.get_by_label("Full name").fill(name)
    with page.expect_request(f"{live_server}/account/name") as sent:
        name_form.get_by_role("button", name="Save name").click()
    assert sent.value.headers.get("hx-request") == "true"

    banner = page.locator(".nhsuk-notification-banner--success")
    expect(banner).to_contain_text("Your name has been updated.")
    expect(page).to_have_url(f"{live_server}/account")
    expect(page.locator("dl")).to_contain_text(name)
    expect(page.locator("header").get_by_role("link", name=name)).to_be_visible()
    # The next page arrived whole, once: no header or form nested inside the old page.
    expect(page.locator("header.nhsuk-header")).to_have_count(1)
    expect(page.locator("#name-form")).to_have_count(1)
    expect(page.get_by_label("Full name")).to_have_value(name)
    problems_of(page).assert_none()


def test_a_new_name_is_saved_without_javascript(page_no_js: Page, live_server: str) -> None:
    page = page_no_js
    sign_in(page, live_server, ACCOUNT_EMAIL, PASSWORD)
    name = new_name()
    page.get_by_label("Full name").fill(name)
    page.get_by_role("button", name="Save name").click()

    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "Your name has been updated."
    )
    expect(page).to_have_url(f"{live_server}/account")
    expect(page.locator("dl")).to_contain_text(name)
