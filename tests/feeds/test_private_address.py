"""The private feed address: only its hash is stored, and it is shown once, when it is made."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import text

from portal.auth.models import User
from portal.extensions import db
from portal.feeds.service import reset_feed_token, user_for_feed_token
from tests.client import HTMX, PortalClient
from tests.factories import make_user

PRIVATE_URL = re.compile(r"https://portal\.example\.org/feeds/private/([A-Za-z0-9_-]+)\.ics")


@pytest.fixture
def coordinator(app: Flask) -> User:
    return make_user("coordinator", "coordinator@example.org", region_slug="london")


def users_rows() -> list[dict[str, object]]:
    """Every column of every row of users, as the database holds them."""
    return [dict(row._mapping) for row in db.session.execute(text("SELECT * FROM users"))]


def token_in(html: str) -> str:
    match = PRIVATE_URL.search(html)
    assert match, "no private address on the page"
    return match[1]


# --- What the database keeps ---------------------------------------------------------------------


def test_the_database_keeps_a_hash_of_the_token_and_never_the_token(coordinator: User) -> None:
    token = reset_feed_token(coordinator)
    rows = users_rows()
    assert rows and all(token not in str(value) for row in rows for value in row.values())
    assert "feed_token" not in rows[0]  # the plain column is gone
    audit = db.session.execute(text("SELECT * FROM audit_entries")).all()
    assert all(token not in str(value) for row in audit for value in row)
    db.session.refresh(coordinator)
    assert coordinator.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert coordinator.feed_created_at is not None
    assert user_for_feed_token(token) == coordinator
    assert user_for_feed_token(coordinator.feed_token_hash) is None  # the hash is no password


def test_a_new_address_ends_the_old_one(client: PortalClient, coordinator: User) -> None:
    old = reset_feed_token(coordinator)
    new = reset_feed_token(coordinator)
    assert client.get(f"/feeds/private/{old}.ics").status_code == 404
    assert client.get(f"/feeds/private/{new}.ics").status_code == 200


# --- The account page, without JavaScript ---------------------------------------------------------


def test_without_javascript_the_address_is_shown_once_then_never_again(
    client: PortalClient, coordinator: User
) -> None:
    client.sign_in(coordinator)
    made = client.post_form("/account/calendar-feed")
    assert made.status_code == 200  # the answer shows the address: nothing keeps it to redirect
    page = made.get_data(as_text=True)
    assert page.lstrip().lower().startswith("<!doctype html>")  # the whole account page
    token = token_in(page)
    assert "Your private calendar address is ready." in page
    assert "shown only once" in page
    assert made.headers["Cache-Control"] == "no-store"
    assert client.get(f"/feeds/private/{token}.ics").status_code == 200

    later = client.get("/account").get_data(as_text=True)
    assert token not in later
    assert PRIVATE_URL.search(later) is None
    assert "You have a private calendar address, made on" in later
    assert "Make a new address" in later
    assert "Create my calendar address" not in later

    again = client.post_form("/account/calendar-feed").get_data(as_text=True)
    new_token = token_in(again)
    assert new_token != token
    assert "The old address no longer works" in again
    assert client.get(f"/feeds/private/{token}.ics").status_code == 404
    assert client.get(f"/feeds/private/{new_token}.ics").status_code == 200
    assert new_token not in client.get("/account").get_data(as_text=True)


def test_the_subscribe_links_carry_the_address_while_it_is_shown(
    client: PortalClient, coordinator: User
) -> None:
    client.sign_in(coordinator)
    page = client.post_form("/account/calendar-feed").get_data(as_text=True)
    token = token_in(page)
    webcal = f"webcal://portal.example.org/feeds/private/{token}.ics"
    links = {
        text: href.replace("&amp;", "&")
        for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    }
    assert links["Subscribe in your calendar app"] == webcal
    google = urlsplit(links["Add to Google Calendar"])
    assert google.netloc == "calendar.google.com"
    assert parse_qs(google.query)["cid"] == [webcal]
    outlook = urlsplit(links["Add to Outlook"])
    assert outlook.netloc == "outlook.office.com"
    assert parse_qs(outlook.query)["url"] == [webcal]
    assert parse_qs(outlook.query)["name"] == ["My caesarean section network events"]


# --- The account page, with htmx ------------------------------------------------------------------


def test_with_htmx_the_section_comes_back_with_the_address_once(
    client: PortalClient, coordinator: User
) -> None:
    client.sign_in(coordinator)
    first = client.get("/account").get_data(as_text=True)
    assert 'hx-post="/account/calendar-feed"' in first
    assert 'hx-target="#calendar-feed"' in first

    made = client.post_form("/account/calendar-feed", headers=HTMX)
    assert made.status_code == 200
    fragment = made.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="calendar-feed"')
    assert "<html" not in fragment
    token = token_in(fragment)
    assert "shown only once" in fragment
    assert f"webcal://portal.example.org/feeds/private/{token}.ics" in fragment
    assert "autofocus" in fragment  # htmx moves the focus to the new address
    assert client.get(f"/feeds/private/{token}.ics").status_code == 200

    assert token not in client.get("/account").get_data(as_text=True)
    assert token not in client.get("/account", headers=HTMX).get_data(as_text=True)

    again = client.post_form("/account/calendar-feed", headers=HTMX).get_data(as_text=True)
    new_token = token_in(again)
    assert new_token != token and "The old address no longer works" in again
    assert client.get(f"/feeds/private/{token}.ics").status_code == 404
    assert client.get(f"/feeds/private/{new_token}.ics").status_code == 200


def test_signed_out_nobody_makes_an_address(client: PortalClient, coordinator: User) -> None:
    response = client.post_form("/account/calendar-feed", token_from="/sign-in")
    assert response.status_code in (302, 303)
    assert "/sign-in" in response.headers["Location"]
    htmx = client.post_form("/account/calendar-feed", token_from="/sign-in", headers=HTMX)
    assert "/sign-in" in htmx.headers.get("HX-Redirect", "")
    db.session.refresh(coordinator)
    assert coordinator.feed_token_hash is None
