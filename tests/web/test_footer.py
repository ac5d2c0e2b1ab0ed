"""The footer is rendered once per process and script root, and is the same on every page."""

from __future__ import annotations

import re

from flask import Flask

from tests.client import PortalClient
from tests.factories import make_user

FOOTER_LINKS = [
    ("/about", "About the programme"),
    ("/contact", "Contact us"),
    ("/medical-advice", "No medical advice"),
    ("/accessibility", "Accessibility statement"),
    ("/privacy", "Privacy notice"),
    ("/cookies", "Cookies"),
]


def footer_links(html: str) -> list[tuple[str, str]]:
    footer = re.search(r"<footer.*?</footer>", html, re.S)
    assert footer is not None
    return re.findall(
        r'<a class="nhsuk-footer__list-item-link" href="([^"]+)">([^<]+)</a>', footer[0]
    )


def test_every_page_has_the_same_footer_signed_in_or_not(client: PortalClient) -> None:
    anonymous = footer_links(client.get("/events").get_data(as_text=True))
    client.sign_in(make_user("admin"))
    signed_in = footer_links(client.get("/account").get_data(as_text=True))
    assert anonymous == signed_in == FOOTER_LINKS
    assert "It gives no medical advice." in client.get("/").get_data(as_text=True)


def test_the_footer_links_keep_the_path_the_portal_is_served_below(app: Flask) -> None:
    # The sign-in page: never kept by the page cache, which serves one script root.
    client = app.test_client()
    at_root = client.get("/sign-in").get_data(as_text=True)
    below = client.get("/sign-in", base_url="http://localhost/network/").get_data(as_text=True)
    assert footer_links(at_root) == FOOTER_LINKS
    assert footer_links(below) == [("/network" + href, text) for href, text in FOOTER_LINKS]
    # Asked again at the root, the footer is the root's (each script root has its own).
    assert footer_links(client.get("/sign-in").get_data(as_text=True)) == FOOTER_LINKS
