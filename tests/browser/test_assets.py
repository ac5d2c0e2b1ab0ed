"""The images that nhsuk-frontend's stylesheet refers to are served where it looks for them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import NODE_MODULES

pytestmark = pytest.mark.browser

STYLESHEET = NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk" / "nhsuk-frontend.min.css"


def site_relative_urls() -> list[str]:
    css = STYLESHEET.read_text(encoding="utf-8")
    return sorted(set(re.findall(r"url\((/[^/)][^)]*)\)", css)))


def test_every_image_the_nhs_stylesheet_asks_for_is_served(page: Page, live_server: str) -> None:
    urls = site_relative_urls()
    assert urls, "expected the stylesheet to refer to some of its own images"
    missing = [url for url in urls if not page.request.get(f"{live_server}{url}").ok]
    assert missing == []
