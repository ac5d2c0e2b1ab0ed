"""Signing in and out, with JavaScript (forms sent by htmx) and without it (plain forms)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD, DEMO_PEOPLE
from tests.browser.helpers import problems_of

pytestmark = pytest.mark.browser

STAFF_EMAIL, STAFF_NAME = next(
    (email, name) for email, name, *_ in DEMO_PEOPLE if email == "staff.northgate@example.org"
)


def sign_in_and_out(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/sign-in")
    header = page.locator("header")
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()

    page.get_by_label("E-mail address").fill(STAFF_EMAIL)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # People land on their home: for trust staff, their trust's events, places and stories.
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your trust’s network")
    expect(page.get_by_text(f"You are signed in as {STAFF_NAME}.")).to_be_visible()
    expect(page.get_by_role("heading", name="Events open to your trust")).to_be_visible()
    expect(header.get_by_role("link", name=STAFF_NAME)).to_be_visible()

    header.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_have_count(0)


def test_sign_in_and_out_with_javascript(page: Page, live_server: str) -> None:
    sign_in_and_out(page, live_server)
    problems_of(page).assert_none()


def test_sign_in_and_out_without_javascript(page_no_js: Page, live_server: str) -> None:
    sign_in_and_out(page_no_js, live_server)


def test_a_wrong_password_is_shown_in_place_by_htmx(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("E-mail address").fill(STAFF_EMAIL)
    page.get_by_label("Password", exact=True).fill("not the password")
    with page.expect_response(f"{live_server}/sign-in") as answer:
        page.get_by_role("button", name="Sign in").click()

    assert answer.value.status == 422
    assert answer.value.request.headers.get("hx-request") == "true"
    summary = page.locator("#sign-in-form .nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("The e-mail address or password is not correct")
    expect(page).to_have_url(f"{live_server}/sign-in")
    # Swapped in place: one form, the e-mail kept, the password cleared.
    expect(page.locator("#sign-in-form")).to_have_count(1)
    expect(page.get_by_label("E-mail address")).to_have_value(STAFF_EMAIL)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    problems = problems_of(page)
    problems.expect(r"status of 422")
    problems.assert_none()


def test_a_wrong_password_without_javascript_gets_the_whole_page(
    page_no_js: Page, live_server: str
) -> None:
    page = page_no_js
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("E-mail address").fill(STAFF_EMAIL)
    page.get_by_label("Password", exact=True).fill("not the password")
    with page.expect_response(f"{live_server}/sign-in") as answer:
        page.get_by_role("button", name="Sign in").click()

    assert answer.value.status == 422
    assert answer.value.request.headers.get("hx-request") is None
    expect(page).to_have_title("Error: Sign in – Caesarean section network")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("The e-mail address or password is not correct")
    expect(page).to_have_url(f"{live_server}/sign-in")
