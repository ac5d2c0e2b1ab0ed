"""axe-core finds no WCAG 2.2 A or AA violation on any page, on a desktop or a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    axe_violations,
    problems_of,
    sign_in,
)

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [
    "/",
    "/about",
    "/regions",
    "/regions/london",
    "/regions/north-east",
    "/trusts",
    "/trusts/ZD1",
    "/contact",
    "/accessibility",
    "/privacy",
    "/cookies",
    "/medical-advice",
    "/sign-in",
]

viewports = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


@viewports
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page(
    new_page: NewPage, live_server: str, path: str, viewport: dict[str, int]
) -> None:
    page = new_page(viewport=viewport)
    response = page.goto(f"{live_server}{path}")
    assert response is not None and response.status == 200
    assert_accessible(page)
    problems_of(page).assert_none()


@viewports
def test_sign_in_page_showing_errors(
    new_page: NewPage, live_server: str, viewport: dict[str, int]
) -> None:
    page = new_page(viewport=viewport)
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("E-mail address").fill("nobody@example.org")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter your password")
    assert_accessible(page)


@viewports
def test_page_not_found(new_page: NewPage, live_server: str, viewport: dict[str, int]) -> None:
    page = new_page(viewport=viewport)
    response = page.goto(f"{live_server}/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)


@viewports
def test_account_page(new_page: NewPage, live_server: str, viewport: dict[str, int]) -> None:
    page = new_page(viewport=viewport)
    sign_in(page, live_server, "staff.northgate@example.org", DEMO_PASSWORD)
    assert_accessible(page)
    problems_of(page).assert_none()


@viewports
def test_admin_people_page(new_page: NewPage, live_server: str, viewport: dict[str, int]) -> None:
    page: Page = new_page(viewport=viewport)
    sign_in(page, live_server, "admin@example.org", DEMO_PASSWORD)
    page.goto(f"{live_server}/admin/people")
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    assert_accessible(page)
    problems = problems_of(page)
    problems.assert_none()


def test_the_axe_check_can_fail(page: Page, live_server: str) -> None:
    """Guards the harness: an image without alternative text must be reported."""
    page.goto(f"{live_server}/about")
    page.evaluate(
        """() => {
            const image = document.createElement("img");
            image.src = "/assets/nhsuk/assets/images/favicon.svg";
            document.querySelector("main").append(image);
        }"""
    )
    assert "image-alt" in {violation["id"] for violation in axe_violations(page)}
