from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from portal.extensions import db
from portal.registrations.links import self_service_token
from portal.registrations.models import Registration, RegistrationState
from tests.client import HTMX, PortalClient
from tests.factories import make_user, open_event, trust_staff
from tests.registrations.helpers import book, person


def rows(*people: tuple[str, str, str]) -> dict[str, str]:
    data = {}
    for n, (name, email, role) in enumerate(people):
        data.update(
            {
                f"attendees-{n}-name": name,
                f"attendees-{n}-email": email,
                f"attendees-{n}-job_role": role,
            }
        )
    return data


@pytest.fixture
def staff(app: Flask):  # type: ignore[no-untyped-def]
    return trust_staff()


def test_trust_staff_book_several_people_and_see_what_happened_to_each(
    client: PortalClient, staff
) -> None:  # type: ignore[no-untyped-def]
    event = open_event(capacity=1)
    client.sign_in(staff)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "1 of 1 places left" in page and f'href="/events/{event.id}/book"' in page
    response = client.post_form(
        f"/events/{event.id}/book",
        rows(
            ("Ada Midwife", "ada@nhs.example", "midwife"),
            ("Bo Obstetrician", "bo@nhs.example", "obstetrician"),
        ),
    )
    assert response.status_code == 303
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ada Midwife" in result and "Confirmed" in result
    assert "Bo Obstetrician" in result and "Waiting list" in result
    assert db.session.query(Registration).count() == 2
    bookings = client.get("/bookings").get_data(as_text=True)
    assert "Ada Midwife" in bookings and "Bo Obstetrician" in bookings


def test_add_another_person_without_javascript_and_with_htmx(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    client.sign_in(staff)
    response = client.post_form(
        f"/events/{event.id}/book",
        {**rows(("Ada", "ada@nhs.example", "midwife")), "add_person": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Person 2" in html and 'value="Ada"' in html
    assert "There is a problem" not in html
    assert db.session.query(Registration).count() == 0
    fragment = client.get(f"/events/{event.id}/book/person?index=2", headers=HTMX).get_data(
        as_text=True
    )
    assert 'id="person-3"' in fragment and 'name="attendees-2-email"' in fragment
    assert 'hx-swap-oob="true"' in fragment and "index=3" in fragment
    # The live region outside the form says what happened; it is on the page before it changes.
    assert '<p id="booking-status" hx-swap-oob="innerHTML">Person 3 added.</p>' in fragment
    assert (
        'id="booking-status" class="nhsuk-u-visually-hidden" role="status">Person 2 added.' in html
    )


def test_the_row_address_opened_without_htmx_gives_the_whole_form(
    client: PortalClient, staff
) -> None:  # type: ignore[no-untyped-def]
    """Not a broken page of one empty row, with no token, that says the event is full."""
    event = open_event()
    client.sign_in(staff)
    response = client.get(f"/events/{event.id}/book/person?index=1")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/{event.id}/book"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (rows(("", "a@nhs.example", "midwife")), "Person 1: Enter the attendee&#39;s full name"),
        (
            rows(("Ada", "not-an-email", "midwife")),
            "Person 1: Enter a work e-mail address in the correct format",
        ),
        (rows(("Ada", "a@nhs.example", "")), "Person 1: Choose the attendee&#39;s job role"),
        (rows(("Ada", "a@nhs.example", "wizard")), "Person 1: Not a valid choice"),
        (
            rows(("Ada", "a@nhs.example", "midwife"), ("Bo", "A@nhs.example", "midwife")),
            "Person 2 has the same e-mail address as person 1",
        ),
    ],
)
def test_bad_booking_input_gets_422_and_books_nobody(
    client: PortalClient, staff, data: dict[str, str], message: str
) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    client.sign_in(staff)
    response = client.post_form(f"/events/{event.id}/book", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(Registration).count() == 0


def test_who_may_open_the_booking_form(client: PortalClient, app: Flask) -> None:
    event = open_event()
    assert client.get(f"/events/{event.id}/book").status_code == 302
    for user, status in ((make_user("admin"), 403), (trust_staff("RN1", "north-west"), 403)):
        other = app.test_client()
        other.sign_in(user)
        assert other.get(f"/events/{event.id}/book").status_code == status
        assert other.get(f"/events/{event.id}/book", headers=HTMX).status_code == status


def test_trust_staff_cannot_see_change_or_withdraw_another_trusts_bookings(
    client: PortalClient, staff
) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    theirs = book(event, trust_staff("RO1"), 1)[0].registration
    client.sign_in(staff)
    assert "Attendee 1" not in client.get("/bookings").get_data(as_text=True)
    for method, path in (
        ("GET", "withdraw"),
        ("POST", "withdraw"),
        ("GET", "change"),
        ("POST", "change"),
    ):
        for headers in ({}, HTMX):
            url = f"/bookings/{theirs.id}/{path}"
            response = (
                client.get(url, headers=headers)
                if method == "GET"
                else client.post_form(url, {"name": "x"}, headers=headers)
            )
            assert response.status_code == 404, (method, path)
    db.session.refresh(theirs)
    assert theirs.is_confirmed and theirs.attendee_name == "Attendee 1"


def test_trust_staff_withdraw_after_confirming(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event(capacity=1)
    first, second = (o.registration for o in book(event, staff, 1, 2))
    client.sign_in(staff)
    assert "Withdraw <bdi>Attendee 1</bdi>?" in client.get(
        f"/bookings/{first.id}/withdraw"
    ).get_data(as_text=True)
    assert client.post_form(f"/bookings/{first.id}/withdraw").status_code == 303
    db.session.refresh(second)
    assert second.is_confirmed


def test_changing_who_comes_keeps_the_place(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    registration = book(event, staff, 1)[0].registration
    client.sign_in(staff)
    response = client.post_form(
        f"/bookings/{registration.id}/change",
        {"name": "Colleague", "email": "colleague@nhs.example", "job_role": "obstetrician"},
    )
    assert response.status_code == 303
    db.session.refresh(registration)
    assert (registration.attendee_name, registration.state) == (
        "Colleague",
        RegistrationState.CONFIRMED,
    )


def test_the_self_service_link_shows_the_booking_and_only_its_post_withdraws(
    client: PortalClient, staff
) -> None:  # type: ignore[no-untyped-def]
    event = open_event(online_url="https://meet.example/room-9")
    registration = book(event, staff, 1)[0].registration
    path = f"/bookings/self-service/{self_service_token(registration)}"
    page = client.get(path)
    assert page.status_code == 200 and "Withdraw from this event" in page.get_data(as_text=True)
    assert "room-9" in page.get_data(as_text=True)
    db.session.refresh(registration)
    assert registration.is_confirmed  # opening the link changed nothing
    token = client.csrf_token(path)
    assert client.post(path, data={"csrf_token": token}).status_code == 303
    db.session.refresh(registration)
    assert registration.state is RegistrationState.WITHDRAWN
    assert client.get("/bookings/self-service/forged-token").status_code == 404


def test_the_public_event_page_never_shows_the_joining_link(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event(online_url="https://meet.example/room-9")
    book(event, staff, 1)
    client.sign_in(staff)
    assert "room-9" not in client.get(f"/events/{event.id}").get_data(as_text=True)


# --- The coordinator -------------------------------------------------------------------------------


def test_a_coordinator_of_another_region_cannot_see_export_check_in_or_remove(
    client: PortalClient, staff
) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    registration = book(event, staff, 1)[0].registration
    client.sign_in(
        make_user("coordinator", "other.coordinator@nhs.example", region_slug="north-west")
    )
    for headers in ({}, HTMX):
        assert client.get(f"/events/{event.id}/attendees", headers=headers).status_code == 404
        assert client.get(f"/events/{event.id}/attendees.csv", headers=headers).status_code == 404
        assert (
            client.post_form(
                f"/registrations/{registration.id}/attended",
                {"attended": "yes"},
                headers=headers,
            ).status_code
            == 404
        )
        assert (
            client.get(f"/registrations/{registration.id}/remove", headers=headers).status_code
            == 404
        )
        assert (
            client.post_form(
                f"/registrations/{registration.id}/remove", headers=headers
            ).status_code
            == 404
        )
    db.session.refresh(registration)
    assert registration.is_confirmed and not registration.attended


def coordinator_of(event):  # type: ignore[no-untyped-def]
    from portal.auth.models import User

    return db.session.get(User, event.created_by_id)


def test_attendee_list_counts_and_needs(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event(capacity=2)
    from portal.registrations.service import book_places

    book_places(
        event,
        [
            person(1, dietary_needs="Vegetarian"),
            person(2, job_role=person(0).job_role.__class__("obstetrician")),
            person(3),
        ],
        actor=staff,
    )
    client.sign_in(coordinator_of(event))
    html = client.get(f"/events/{event.id}/attendees").get_data(as_text=True)
    assert "2 of 2 places confirmed, 1 on the waiting list" in html
    assert (
        "<bdi>Trust RT1 NHS Trust</bdi>: 2" in html
        and "Midwife: 1" in html
        and "Obstetrician: 1" in html
    )
    assert "Dietary: Vegetarian" in html


def test_check_in_with_htmx_and_without(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    registration = book(event, staff, 1)[0].registration
    client.sign_in(coordinator_of(event))
    fragment = client.post_form(
        f"/registrations/{registration.id}/attended", {"attended": "yes"}, headers=HTMX
    )
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and html.lstrip().startswith(
        f'<tr class="nhsuk-table__row portal-check-in__row--arrived" id="registration-{registration.id}"'
    )
    assert "Arrived" in html and '<dd id="attended-count" hx-swap-oob="true">1</dd>' in html
    again = client.post_form(f"/registrations/{registration.id}/attended", {"attended": "yes"})
    assert again.status_code == 303
    db.session.refresh(registration)
    assert registration.attended
    assert (
        client.post_form(
            f"/registrations/{registration.id}/attended", {"attended": "maybe"}
        ).status_code
        == 400
    )


def test_csv_export_columns_quoting_and_formula_neutralising(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    from portal.registrations.service import book_places

    book_places(
        event, [person(1, name='=HYPERLINK("x"), "Smith"'), person(2, name="+Plus")], actor=staff
    )
    client.sign_in(coordinator_of(event))
    response = client.get(f"/events/{event.id}/attendees.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows_ = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows_[0] == [
        "name",
        "email",
        "job_role",
        "trust",
        "status",
        "booked_at",
        "checked_in_at",
        "access_needs",
        "dietary_needs",
    ]
    names = sorted(r[0] for r in rows_[1:])
    assert names == ["'+Plus", '\'=HYPERLINK("x"), "Smith"']
    assert all(r[4] == "Confirmed" for r in rows_[1:])


def test_the_coordinator_removes_an_attendee(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event(capacity=1)
    first, second = (o.registration for o in book(event, staff, 1, 2))
    client.sign_in(coordinator_of(event))
    assert client.post_form(f"/registrations/{first.id}/remove").status_code == 303
    db.session.refresh(second)
    assert (
        first.state is RegistrationState.REMOVED
        or db.session.get(Registration, first.id).state is RegistrationState.REMOVED
    )
    assert second.is_confirmed


def test_lowering_places_below_the_confirmed_count_is_refused_on_the_form(
    client: PortalClient, staff
) -> None:  # type: ignore[no-untyped-def]
    from tests.events.helpers import form_data

    event = open_event(capacity=3)
    book(event, staff, 1, 2, 3)
    client.sign_in(coordinator_of(event))
    response = client.post_form(f"/events/{event.id}/edit", form_data(capacity="1"))
    assert response.status_code == 422
    assert "Remove 2 people before lowering the places to 1" in response.get_data(as_text=True)


def test_the_result_says_why_each_person_waits(client: PortalClient, staff) -> None:  # type: ignore[no-untyped-def]
    event = open_event(capacity=5, trust_cap=1)
    client.sign_in(staff)
    response = client.post_form(
        f"/events/{event.id}/book",
        rows(("Ada", "ada@nhs.example", "midwife"), ("Bo", "bo@nhs.example", "midwife")),
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Your trust&#39;s 1 places are all taken" in html
        or "Your trust's 1 places are all taken" in html
    )


def test_a_trust_staff_private_feed_holds_the_events_their_trust_booked(
    client: PortalClient, staff
) -> None:  # type: ignore[no-untyped-def]
    from portal.feeds.service import reset_feed_token

    booked_event = open_event()
    other_event = open_event(title="Not booked")
    book(booked_event, staff, 1)
    token = reset_feed_token(staff)
    db.session.commit()
    body = client.get(f"/feeds/private/{token}.ics").get_data(as_text=True)
    assert booked_event.uid in body and other_event.uid not in body


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_booking_form_says_when_the_trust_has_used_its_places(
    client: PortalClient, htmx: bool
) -> None:
    event = open_event(capacity=6, trust_cap=2)
    staff = trust_staff()
    client.sign_in(staff)
    path = f"/events/{event.id}/book"
    assert "Your trust can book 2 more (up to 2 per trust)" in client.get(path).get_data(
        as_text=True
    )
    book(event, staff, 1, 2)
    expected = "4 of 6 places left, but your trust has booked all 2 of its places"
    assert expected in client.get(path).get_data(as_text=True)
    # The form sent back with a problem (with or without htmx) says the same.
    refused = client.post_form(
        path, rows(("", "", "midwife")), **({"headers": HTMX} if htmx else {})
    )
    assert refused.status_code == 422
    assert expected in refused.get_data(as_text=True)
