"""Full-page screenshots of the main pages on a phone and a desktop, for a person to look at.

They are written to tests/browser/screenshots/ (ignored by git); the test checks only that each
page rendered with the NHS styles and without horizontal scrolling.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import NewPage
from tests.browser.helpers import DESKTOP, PHONE, check_and_save, problems_of, sign_in

pytestmark = pytest.mark.browser

PAGES = [("home", "/"), ("regions-london", "/regions/london"), ("sign-in", "/sign-in")]


@pytest.mark.parametrize(
    ("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)], ids=["phone", "desktop"]
)
def test_screenshots(
    new_page: NewPage, live_server: str, size: str, viewport: dict[str, int]
) -> None:
    page = new_page(viewport=viewport)
    for name, path in PAGES:
        page.goto(f"{live_server}{path}")
        expect(page.locator("h1")).to_be_visible()
        check_and_save(page, f"{name}-{size}")

    sign_in(page, live_server, "staff.northgate@example.org", DEMO_PASSWORD)
    check_and_save(page, f"account-{size}")
    problems_of(page).assert_none()
