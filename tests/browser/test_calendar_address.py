"""The private calendar address on the account page: shown once when it is made, with htmx and
without JavaScript."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from portal.auth.models import Role
from tests.browser.conftest import NewPage
from tests.browser.helpers import assert_accessible, problems_of, sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

ADDRESS = re.compile(r"^https?://[^/]+/feeds/private/[A-Za-z0-9_-]+\.ics$")


def someone(app: Flask) -> str:
    """A coordinator of their own, so that no other test sees their feed change."""
    email = f"browser.feed.{uuid.uuid4().hex[:8]}@example.org"
    with app.app_context():
        make_user(Role.COORDINATOR, email, region_slug="london")
    return email


def feed_status(page: Page, address: str, live_server: str) -> int:
    # The address names the portal's base URL; ask the live server for the same path.
    path = address.split("/feeds/", 1)[1]
    return page.request.get(f"{live_server}/feeds/{path}").status


def test_with_htmx_the_address_appears_in_place_once(
    page: Page, live_server: str, default_app: Flask
) -> None:
    sign_in(page, live_server, someone(default_app), PASSWORD)
    section = page.locator("#calendar-feed")
    with page.expect_request(f"{live_server}/account/calendar-feed") as sent:
        section.get_by_role("button", name="Create my calendar address").click()
    assert sent.value.headers.get("hx-request") == "true"

    expect(section).to_contain_text("Copy this address now")
    expect(section).to_contain_text("shown only once")
    address_box = section.get_by_label("Your private calendar address")
    expect(address_box).to_be_focused()
    address = address_box.input_value()
    assert ADDRESS.match(address), address
    expect(page).to_have_url(f"{live_server}/account")
    expect(page.locator("#calendar-feed")).to_have_count(1)
    expect(section.get_by_role("link", name="Subscribe in your calendar app")).to_have_attribute(
        "href", "webcal://" + address.split("://", 1)[1]
    )
    assert feed_status(page, address, live_server) == 200
    assert_accessible(page)

    page.reload()
    expect(section).to_contain_text("You have a private calendar address, made on")
    expect(section.get_by_label("Your private calendar address")).to_have_count(0)
    assert address not in page.content()

    section.get_by_role("button", name="Make a new address").click()
    expect(section).to_contain_text("The old address no longer works")
    new_address = section.get_by_label("Your private calendar address").input_value()
    assert new_address != address
    assert feed_status(page, address, live_server) == 404
    assert feed_status(page, new_address, live_server) == 200
    problems_of(page).assert_none()


def test_without_javascript_the_answer_shows_the_address_once(
    new_page: NewPage, live_server: str, default_app: Flask
) -> None:
    page = new_page(javascript=False)
    sign_in(page, live_server, someone(default_app), PASSWORD)
    page.get_by_role("button", name="Create my calendar address").click()

    expect(page).to_have_url(f"{live_server}/account/calendar-feed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    address = page.get_by_label("Your private calendar address").input_value()
    assert ADDRESS.match(address), address
    assert feed_status(page, address, live_server) == 200

    page.goto(f"{live_server}/account")
    expect(page.locator("#calendar-feed")).to_contain_text("You have a private calendar address")
    assert address not in page.content()
    problems_of(page).assert_none()
