"""Full-page screenshots of the main pages on a phone and a desktop, for a person to look at.

They are written to tests/browser/screenshots/ (ignored by git); the test checks only that each
page rendered with the NHS styles and without horizontal scrolling.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import NewPage
from tests.browser.helpers import DESKTOP, PHONE, SCREENSHOTS, problems_of, sign_in

pytestmark = pytest.mark.browser

PAGES = [("home", "/"), ("regions-london", "/regions/london"), ("sign-in", "/sign-in")]


def check_and_save(page: Page, name: str) -> None:
    # The NHS stylesheet applied: the header has its blue background.
    header_colour = page.locator("header.nhsuk-header").evaluate(
        "(header) => getComputedStyle(header).backgroundColor"
    )
    assert header_colour == "rgb(0, 94, 184)"
    # Nothing pushes the page wider than the screen.
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0, f"{name} scrolls sideways by {overflow}px"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")


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
