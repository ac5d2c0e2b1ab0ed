"""The header's navigation for each kind of person: a signed-in person's own links first (on a
phone the header shows only the first few), then the public ones, then Contact; a visitor's
public links, then Contact; the section a page belongs to is marked."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.client import PortalClient
from tests.factories import make_trust, make_user

PUBLIC = ["Events", "About", "Regions", "Trusts", "Stories"]
EXPECTED = {
    "visitor": [*PUBLIC, "Contact"],
    "coordinator": [
        "Your region",
        "Manage events",
        "Review stories",
        "Measures",
        "Robson groups",
        "Self-assessment",
        "Toolkit",
        "Trust staff",
        *PUBLIC,
        "Contact",
    ],
    "trust": [
        "Your trust",
        "Your stories",
        "Bookings",
        "Measures",
        "Robson groups",
        "Self-assessment",
        "Toolkit",
        *PUBLIC,
        "Contact",
    ],
    "admin": [
        "Manage events",
        "Review stories",
        "Measures",
        "Robson groups",
        "Self-assessment",
        "Toolkit",
        "People",
        "Mail",
        "Privacy",
        "Directory",
        "Audit log",
        *PUBLIC,
        "Contact",
    ],
}
NAVIGATION = re.compile(r'<nav class="nhsuk-header__navigation".*?</nav>', re.S)
LINK = re.compile(r'<a class="nhsuk-header__navigation-link" href="([^"]+)"[^>]*>(.*?)</a>', re.S)
TAG = re.compile(r"<[^>]+>")


def header_links(client: PortalClient, path: str) -> list[tuple[str, str]]:
    page = client.get(path).get_data(as_text=True)
    found = NAVIGATION.search(page)
    assert found, "no header navigation"
    return [(TAG.sub("", text).strip(), href) for href, text in LINK.findall(found.group(0))]


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_sees_its_links_in_order(app: Flask, client: PortalClient, who: str) -> None:
    if who != "visitor":
        trust = make_trust() if who == "trust" else None
        client.sign_in(make_user(who, f"{who}@nhs.example", trust=trust))
    assert [text for text, _ in header_links(client, "/about")] == EXPECTED[who]


def test_a_coordinators_own_region_and_a_trusts_own_trust_are_linked(
    app: Flask, client: PortalClient
) -> None:
    client.sign_in(make_user("coordinator", "c@nhs.example", region_slug="north-west"))
    assert ("Your region", "/regions/north-west") in header_links(client, "/about")
    client.post("/sign-out")
    trust = make_trust("Riverside NHS Trust", "RS1", "london")
    other = app.test_client()
    other.sign_in(make_user("trust", "t@nhs.example", trust=trust))
    assert ("Your trust", "/trusts/RS1") in header_links(other, "/about")


def test_the_page_being_read_is_marked_in_the_header(app: Flask, client: PortalClient) -> None:
    nav = NAVIGATION.search(client.get("/about").get_data(as_text=True))
    assert nav
    assert re.findall(r'href="([^"]+)" aria-current="page"', nav[0]) == ["/about"]
