"""htmx arrives from the CDN (integrity checked), from the portal when the CDN is unreachable,
and only from the portal when HTMX_LOCAL_ONLY is set."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.config import HTMX_SRI, HTMX_VERSION
from tests.browser.helpers import problems_of

pytestmark = pytest.mark.browser


def wait_for_htmx(page: Page) -> None:
    page.wait_for_function("() => window.htmx !== undefined")
    assert page.evaluate("htmx.version") == HTMX_VERSION == "2.0.11"


def test_htmx_loads_from_the_cdn(page: Page, live_server: str, htmx_cdn_url: str) -> None:
    with page.expect_response(htmx_cdn_url) as cdn_answer:
        page.goto(f"{live_server}/")
    assert cdn_answer.value.ok

    wait_for_htmx(page)
    cdn_script = page.locator(f'script[src="{htmx_cdn_url}"]')
    # The browser ran the CDN copy only because it matched this hash.
    expect(cdn_script).to_have_attribute("integrity", HTMX_SRI)
    expect(cdn_script).to_have_attribute("crossorigin", "anonymous")
    # The fallback saw htmx already there and added nothing.
    expect(page.locator('script[data-htmx-source="local"]')).to_have_count(0)
    problems_of(page).assert_none()


def test_htmx_falls_back_to_the_local_copy_when_the_cdn_is_unreachable(
    page_cdn_down: Page, live_server: str
) -> None:
    page = page_cdn_down
    page.goto(f"{live_server}/")

    wait_for_htmx(page)
    local_script = page.locator('script[data-htmx-source="local"]')
    expect(local_script).to_have_count(1)
    expect(local_script).to_have_attribute("src", f"/assets/htmx/htmx.min.js?v={HTMX_VERSION}")
    problems_of(page).assert_none()


def test_htmx_from_the_local_copy_drives_a_form(page_cdn_down: Page, live_server: str) -> None:
    """The fallback copy is a working htmx, not only a defined global."""
    page = page_cdn_down
    page.goto(f"{live_server}/sign-in")
    wait_for_htmx(page)
    page.get_by_role("button", name="Sign in").click()

    summary = page.locator("#sign-in-form .nhsuk-error-summary")
    expect(summary).to_contain_text("Enter your e-mail address")
    expect(page).to_have_url(f"{live_server}/sign-in")
    problems = problems_of(page)
    problems.expect(r"status of 422")
    problems.assert_none()


def test_htmx_local_only_setting_never_asks_the_cdn(page: Page, local_htmx_server: str) -> None:
    cdn_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            cdn_requests.append(request.url)
            if request.url.startswith("https://cdn.jsdelivr.net/")
            else None
        ),
    )
    page.goto(f"{local_htmx_server}/")

    wait_for_htmx(page)
    expect(page.locator('script[src*="cdn.jsdelivr.net"]')).to_have_count(0)
    expect(page.locator('script[src*="htmx-fallback"]')).to_have_count(0)
    expect(page.locator('script[data-htmx-source="local"]')).to_have_count(1)
    assert cdn_requests == []
    problems_of(page).assert_none()
