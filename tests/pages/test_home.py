"""A signed-in person's home at `/`: what needs doing now, for their role. Visitors keep the
public front page; signing in lands on the home."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from portal.events.service import cancel_event
from portal.extensions import db
from portal.mail.models import MailStatus, OutboxMessage
from portal.registrations.models import JobRole
from portal.registrations.service import Attendee, book_places, waiting_positions, withdraw
from portal.stories.service import return_for_changes, submit
from portal.web.dates import programme_year, programme_year_label, today_in_london
from tests.client import HTMX, PortalClient
from tests.factories import (
    PASSWORD,
    draft,
    make_event,
    make_user,
    open_event,
    published,
    trust_staff,
)

TAG = re.compile(r"<[^>]+>")


def text(html: str) -> str:
    """The page's words, one space between them (none before punctuation)."""
    spaced = re.sub(r"\s+", " ", TAG.sub(" ", html))
    return re.sub(r" ([,:.)])", r"\1", spaced)


def people(n: int, prefix: str = "p") -> list[Attendee]:
    return [
        Attendee(f"Person {prefix}{i}", f"{prefix}{i}@nhs.example", JobRole.MIDWIFE)
        for i in range(n)
    ]


def test_a_visitor_gets_the_public_front_page(client: PortalClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Caesarean section improvement network</h1>" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_signing_in_lands_on_the_home(app: Flask, client: PortalClient, htmx: bool) -> None:
    person = trust_staff()
    token = client.csrf_token("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": person.email, "password": PASSWORD, "csrf_token": token},
        headers=HTMX if htmx else {},
    )
    assert response.headers["HX-Redirect" if htmx else "Location"] == "/"
    assert "<h1>Your trust’s network</h1>" in client.get("/").get_data(as_text=True)


def test_trust_staff_see_their_places_who_is_going_and_their_place_in_the_queue(
    app: Flask, client: PortalClient
) -> None:
    staff = trust_staff("RT1", "london", "staff@rt1.example")
    neighbour = trust_staff("RT2", "london", "staff@rt2.example")
    event = open_event(capacity=4, trust_cap=2, title="London spring day")
    book_places(event, people(2, "n"), actor=neighbour)  # two of the four places
    book_places(event, people(3, "m"), actor=staff)  # two confirmed (the cap), one waits
    book_places(event, people(1, "x"), actor=neighbour)  # the event is full now: waits second
    elsewhere = open_event(slug="north-west", title="North West day")
    everyone = open_event(slug="north-west", title="Open to all", open_to_all_regions=True)
    client.sign_in(staff)

    page = text(client.get("/").get_data(as_text=True))

    assert "London spring day" in page and "Open to all" in page
    assert elsewhere.title not in page and everyone.region.name in page
    assert "Places Full: a waiting list is open" in page
    assert (
        "Your trust 2 going, up to 2 per trust: anyone else booked joins the waiting list" in page
    )
    assert "Going Person m0, Person m1" in page
    assert "Person m2: number 1 in the queue (the event is full)" in page
    assert "Person x0" not in page  # another trust's people are not shown


def test_a_waiting_person_is_told_it_is_the_trusts_limit_when_places_are_free(
    app: Flask, client: PortalClient
) -> None:
    staff = trust_staff()
    event = open_event(capacity=10, trust_cap=1)
    book_places(event, people(3), actor=staff)
    client.sign_in(staff)

    page = text(client.get("/").get_data(as_text=True))

    assert "Person p1: number 1 in the queue (your trust has used its 1 places)" in page
    assert "Person p2: number 2 in the queue" in page


def test_waiting_positions_follow_the_order_places_are_offered_in(app: Flask) -> None:
    staff = trust_staff()
    event = open_event(capacity=1)
    outcomes = book_places(event, people(4), actor=staff)
    first, *waiting = [o.registration for o in outcomes]
    assert first is not None and first.is_confirmed

    withdraw(waiting[0], by="trust", actor=staff)  # frees nothing: the rest move up

    positions = waiting_positions([event.id])
    assert [positions.get(r.id) for r in waiting] == [None, 1, 2]


def test_trust_staff_see_stories_to_finish_returned_first_and_not_published_ones(
    app: Flask, client: PortalClient
) -> None:
    staff = trust_staff()
    coordinator = make_user("coordinator", "c@nhs.example", region_slug="london")
    draft(staff, title="Still a draft")
    returned = draft(staff, title="Sent back")
    submit(returned, actor=staff)
    return_for_changes(returned, "Please add the dates.", actor=coordinator)
    published(staff, coordinator, title="Already out")
    client.sign_in(staff)

    page = text(client.get("/").get_data(as_text=True))

    assert page.index("Sent back") < page.index("Still a draft")
    assert "Returned for changes" in page and "Already out" not in page


def test_a_coordinator_sees_the_years_slots_places_review_and_invitations(
    app: Flask, client: PortalClient
) -> None:
    coordinator = make_user("coordinator", "c@nhs.example", region_slug="london")
    staff = trust_staff()
    year = programme_year(today_in_london())
    booked = make_event(coordinator, publish=True, title="Booked day", capacity=3)
    make_event(coordinator, title="A draft day")
    cancelled = make_event(coordinator, publish=True, title="Called off")
    cancel_event(cancelled, "Snow", actor=coordinator)
    book_places(booked, people(4), actor=staff)
    waiting = draft(staff, title="Please review me")
    submit(waiting, actor=staff)
    make_user("trust", "new.person@nhs.example", trust=staff.trust, password=None)
    make_user("coordinator", "other@nhs.example", region_slug="north-west")
    client.sign_in(coordinator)

    html = client.get("/").get_data(as_text=True)
    page = text(html)

    this_year = page[page.index(programme_year_label(year)) :]
    assert "Planned (drafts) 1 Published, to come 1 Held 0 Free 1" in this_year, (
        "the cancelled event frees its slot"
    )
    assert re.search(r"Booked day .*? 3 of 3 1", page)
    assert "A draft day" in page and "Called off" not in page
    assert "Please review me" in page
    assert "new.person@nhs.example" in page


def test_the_programme_team_sees_every_region_and_failed_mail(
    app: Flask, client: PortalClient
) -> None:
    coordinator = make_user("coordinator", "c@nhs.example", region_slug="london")
    staff = trust_staff()
    event = make_event(coordinator, publish=True, capacity=5)
    book_places(event, people(2), actor=staff)
    db.session.add(
        OutboxMessage(
            kind="test",
            to_address="x@nhs.example",
            subject="S",
            text_body="T",
            status=MailStatus.FAILED,
            attempts=8,
            last_error="refused",
        )
    )
    db.session.commit()
    client.sign_in(make_user("admin", "admin@nhs.example"))

    page = text(client.get("/").get_data(as_text=True))

    assert page.count("of 3") == 10
    assert re.search(r"NHS London 1 of 3 2 0 0", page)
    assert "1 message could not be sent" in page
