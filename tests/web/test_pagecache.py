"""Public pages kept for anonymous visitors: reused while the data stays the same, rebuilt as soon
as it changes, never shared with signed-in people or with a visitor who has a message waiting."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from portal.web import pagecache
from portal.web.pagecache import page_cache
from tests.client import PortalClient
from tests.factories import draft, make_trust, make_user, open_event, published, trust_staff
from tests.registrations.helpers import book

NONCE = re.compile(r'nonce="([^"]+)"')


def kept(app: Flask) -> int:
    return len(page_cache(app))


def test_a_public_page_is_kept_and_each_answer_gets_its_own_nonce(
    app: Flask, client: PortalClient
) -> None:
    first = client.get("/stories")
    assert kept(app) == 1
    second = client.get("/stories")
    assert kept(app) == 1
    nonces = [NONCE.search(r.get_data(as_text=True)).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip((first, second), nonces, strict=True):
        assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
        assert "Set-Cookie" not in response.headers
    assert first.get_data(as_text=True).replace(nonces[0], "") == second.get_data(
        as_text=True
    ).replace(nonces[1], "")


def test_a_change_to_the_data_shows_at_once(app: Flask, client: PortalClient) -> None:
    trust = make_trust("Riverside NHS Trust", "RS1", "north-east")
    author = make_user("trust", "author@example.org", trust=trust)
    reviewer = make_user("coordinator", "ne@example.org", region_slug="north-east")
    for path in ("/", "/stories", "/trusts/RS1"):
        assert "Birth pools" not in client.get(path).get_data(as_text=True)
    published(author, reviewer, title="Birth pools")
    for path in ("/", "/stories", "/trusts/RS1"):
        assert "Birth pools" in client.get(path).get_data(as_text=True), path


def test_a_booking_shows_at_once_wherever_places_are_shown(
    app: Flask, client: PortalClient
) -> None:
    """Each page declares the tables it shows; a page that shows places must name registrations,
    or a booking would leave it stale until the next event or story changed."""
    event = open_event(capacity=5)
    staff = trust_staff()
    lists = ("/", "/events", "/regions/london")
    for path in lists:
        assert "5 of 5 left" in client.get(path).get_data(as_text=True), path
    assert "5 of 5 places left" in client.get(f"/events/{event.id}").get_data(as_text=True)
    book(event, staff, 1)
    for path in lists:
        assert "4 of 5 left" in client.get(path).get_data(as_text=True), path
    assert "4 of 5 places left" in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_a_page_is_kept_while_only_tables_it_does_not_show_change(
    app: Flask, client: PortalClient
) -> None:
    event = open_event(capacity=5)
    staff = trust_staff()
    client.get("/trusts")
    kept_before = kept(app)
    book(event, staff, 1)  # registrations: not shown on the list of trusts
    client.get("/trusts")
    assert kept(app) == kept_before  # served from the copy, nothing new kept


def test_a_region_s_new_contact_shows_at_once(app: Flask, client: PortalClient) -> None:
    from portal.extensions import db
    from tests.factories import region

    assert "Jo Bloggs" not in client.get("/regions/london").get_data(as_text=True)
    region("london").contact_name = "Jo Bloggs"
    db.session.commit()
    assert "Jo Bloggs" in client.get("/regions/london").get_data(as_text=True)


def test_signed_in_people_never_get_or_leave_kept_pages(app: Flask, client: PortalClient) -> None:
    user = make_user("trust", "staff@example.org", trust=make_trust())
    client.get("/stories")  # kept for anonymous visitors
    client.sign_in(user)
    page = client.get("/stories").get_data(as_text=True)
    assert "Your stories" in page  # the signed-in header, not the kept page
    assert kept(app) == 1
    assert "Your stories" not in app.test_client().get("/stories").get_data(as_text=True)


def test_a_visitor_with_a_message_waiting_gets_a_page_of_their_own(
    app: Flask, client: PortalClient
) -> None:
    client.get("/")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "You have been signed out.")]
    assert "You have been signed out." in client.get("/").get_data(as_text=True)
    assert "You have been signed out." not in app.test_client().get("/").get_data(as_text=True)


def test_fragments_and_pages_are_kept_apart(app: Flask, client: PortalClient) -> None:
    page = client.get("/stories?q=water").get_data(as_text=True)
    fragment = client.get("/stories?q=water", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert page.startswith("<!DOCTYPE html>")
    assert fragment.lstrip().startswith('<section id="story-results"')
    assert kept(app) == 2


def test_pages_are_rebuilt_when_the_time_window_moves_on(
    app: Flask, client: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(pagecache, "time", lambda: now[0])
    client.get("/events")
    now[0] += app.config["PAGE_CACHE_SECONDS"]
    client.get("/events")
    assert kept(app) == 2


def test_the_cache_is_bounded_and_can_be_switched_off(app: Flask, client: PortalClient) -> None:
    app.config["PAGE_CACHE_SIZE"] = 2
    try:
        for path in ("/", "/events", "/stories", "/regions"):
            client.get(path)
        assert kept(app) == 2
        app.config["PAGE_CACHE_SIZE"] = 0
        page_cache(app).clear()
        client.get("/")
        assert kept(app) == 0
    finally:
        app.config["PAGE_CACHE_SIZE"] = 256


def test_only_public_pages_are_kept(app: Flask, client: PortalClient) -> None:
    story = draft(make_user("trust", "staff@example.org", trust=make_trust()))
    for path in ("/sign-in", "/about", f"/stories/{story.id}", "/feeds/events.ics"):
        client.get(path)
    assert kept(app) == 0


# --- Values kept while their tables stay the same (counts on the programme team's home) --------


def test_a_kept_value_is_computed_once_until_one_of_its_tables_changes(app: Flask) -> None:
    computed: list[int] = []

    def count() -> int:
        computed.append(1)
        return len(computed)

    tables = frozenset({"network_events", "registrations"})
    with app.test_request_context():
        assert pagecache.kept_while_unchanged("bookings", tables, count) == 1
        assert pagecache.kept_while_unchanged("bookings", tables, count) == 1
        make_trust("Riverside NHS Trust", "RS1", "north-east")  # trusts: not one of its tables
        assert pagecache.kept_while_unchanged("bookings", tables, count) == 1
        book(open_event(capacity=5), trust_staff(), 1)
        assert pagecache.kept_while_unchanged("bookings", tables, count) == 2


def test_a_kept_value_must_name_tables_whose_changes_are_tracked(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(ValueError, match="audit_entries"):
        pagecache.kept_while_unchanged("log", frozenset({"audit_entries"}), lambda: 0)


def test_the_programme_team_s_counts_follow_each_booking_and_story(
    app: Flask, client: PortalClient
) -> None:
    event = open_event(capacity=5)
    staff = trust_staff()
    client.sign_in(make_user("admin", "admin@example.org"))

    def london_row() -> str:
        page = client.get("/").get_data(as_text=True)
        row = page.split("NHS London</bdi></a></th>", 1)[1].split("</tr>", 1)[0]
        return " ".join(re.findall(r">(\d+)(?: of \d+)?<", row))

    assert london_row() == "1 0 0 0"
    book(event, staff, 1, 2)
    assert london_row() == "1 2 0 0"
    reviewer = make_user("coordinator", "london@example.org", region_slug="london")
    published(staff, reviewer, title="Birth pools")
    assert london_row() == "1 2 1 0"
