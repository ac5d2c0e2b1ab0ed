"""Booking that knows the trust's limit, and a trust's bookings event by event: the result page,
the e-mails, the bookings page and the attendee's own page say each waiting person's place in
the queue and the true reason they wait."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.registrations.links import self_service_token
from portal.registrations.service import withdraw
from portal.web.dates import today_in_london
from tests.client import PortalClient
from tests.factories import open_event, trust_staff
from tests.registrations.helpers import book
from tests.registrations.test_routes import rows

TAG = re.compile(r"<[^>]+>")


def words(html: str) -> str:
    return re.sub(r" ([,:.)])", r"\1", re.sub(r"\s+", " ", TAG.sub(" ", html)))


def mail_to(address: str) -> list[str]:
    return [
        m.text_body
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == address)
        )
    ]


@pytest.mark.parametrize("htmx", [False, True])
def test_the_result_page_confirms_with_a_panel_when_everyone_has_a_place(
    app: Flask, client: PortalClient, htmx: bool
) -> None:
    staff = trust_staff()
    event = open_event(capacity=5)
    client.sign_in(staff)
    response = client.post_form(
        f"/events/{event.id}/book",
        rows(("Ada", "ada@nhs.example", "midwife"), ("Bo", "bo@nhs.example", "midwife")),
        htmx=htmx,
    )
    location = response.headers["HX-Location" if htmx else "Location"]
    html = client.get(re.sub(r'^\{"path": "([^"]+)".*', r"\1", location)).get_data(as_text=True)

    assert re.search(r'class="nhsuk-panel".*?2 places booked', html, re.S)


def test_the_result_page_gives_each_waiting_persons_place_and_reason(
    app: Flask, client: PortalClient
) -> None:
    staff = trust_staff()
    other = trust_staff("RT2", email="other@rt2.example")
    event = open_event(capacity=5, trust_cap=1)
    book(event, other, "o1", "o2")  # RT2 waits first: number 1
    client.sign_in(staff)
    response = client.post_form(
        f"/events/{event.id}/book",
        rows(("Ada", "ada@nhs.example", "midwife"), ("Bo", "bo@nhs.example", "midwife")),
    )
    page = words(client.get(response.headers["Location"]).get_data(as_text=True))

    assert "nhsuk-panel" not in page
    assert "1 confirmed, 1 on the waiting list" in page
    assert "Your trust's 1 places are all taken: they are number 2 in the queue" in page


def test_the_waiting_e_mails_give_the_true_reason(app: Flask) -> None:
    staff = trust_staff()
    capped = open_event(capacity=10, trust_cap=1, title="Capped day")
    full = open_event(capacity=1, title="Full day")

    book(capped, staff, 1, 2)
    book(full, staff, 3, 4)

    capped_mail = " ".join(mail_to("attendee2@nhs.example"))
    full_mail = " ".join(mail_to("attendee4@nhs.example"))
    assert "the 1 places each trust may have at this event are already taken" in capped_mail
    assert "the event is full" not in capped_mail
    assert "but the event is full, so you are on the waiting list" in full_mail
    booker = " ".join(mail_to(staff.email))
    assert "your trust has booked all 1 of its places at this event" in booker


def test_the_attendees_own_page_gives_their_place_in_the_queue(
    app: Flask, client: PortalClient
) -> None:
    staff = trust_staff()
    event = open_event(capacity=1)
    _first, second, third = (o.registration for o in book(event, staff, 1, 2, 3))
    assert second is not None and third is not None
    withdraw(second, by="trust", actor=staff)

    page = words(
        client.get(f"/bookings/self-service/{self_service_token(third)}").get_data(as_text=True)
    )

    assert "Waiting list You are number 1 in the queue." in page


def test_the_bookings_page_groups_by_event_with_counts_and_folds_ended_bookings(
    app: Flask, client: PortalClient
) -> None:
    staff = trust_staff()
    later = open_event(
        capacity=2,
        trust_cap=2,
        title="Later day",
        event_date=today_in_london() + timedelta(days=60),
    )
    sooner = open_event(
        capacity=9, title="Sooner day", event_date=today_in_london() + timedelta(days=20)
    )
    outcomes = book(later, staff, 1, 2, 3)
    book(sooner, staff, 4)
    withdraw(outcomes[0].registration, by="trust", actor=staff)  # 3 moves up into the place
    client.sign_in(staff)

    html = client.get("/bookings").get_data(as_text=True)
    page = words(html)

    assert page.index("Sooner day") < page.index("Later day")
    later_part = page[page.index("Later day") :]
    assert "2 confirmed · your trust’s places: 2 of 2 used" in later_part
    assert re.search(r"<summary[^>]*>.*?Withdrawn or removed \(1\)", html, re.S)
    folded = html[html.index("Withdrawn or removed (1)") :]
    assert "Attendee 1" in folded


def test_a_waiting_person_on_the_bookings_page_has_a_place_and_a_reason(
    app: Flask, client: PortalClient
) -> None:
    staff = trust_staff()
    event = open_event(capacity=1)
    book(event, staff, 1, 2, 3)
    client.sign_in(staff)

    page = words(client.get("/bookings").get_data(as_text=True))

    assert "1 confirmed, 2 waiting" in page
    assert "Attendee 2 Midwife Waiting list number 1 in the queue (the event is full)" in page
    assert "Attendee 3 Midwife Waiting list number 2 in the queue (the event is full)" in page
