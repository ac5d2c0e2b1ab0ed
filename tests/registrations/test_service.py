from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.events.service import EventError, cancel_event, update_event
from portal.extensions import db, utcnow
from portal.mail.models import OutboxMessage
from portal.registrations.links import registration_from_token, self_service_token
from portal.registrations.models import Registration, RegistrationState
from portal.registrations.service import (
    BookingError,
    book_places,
    change_attendee,
    places,
    remove,
    set_attended,
    withdraw,
)
from portal.web.dates import today_in_london
from tests.factories import make_user, open_event, trust_staff
from tests.registrations.helpers import book, person


def states(event) -> dict[str, RegistrationState]:  # type: ignore[no-untyped-def]
    return {
        r.attendee_email: r.state
        for r in db.session.query(Registration).filter_by(event_id=event.id)
    }


def test_places_are_confirmed_until_the_event_is_full_then_waitlisted(app: Flask) -> None:
    event = open_event(capacity=2)
    staff = trust_staff()
    outcomes = book(event, staff, 1, 2, 3)
    assert [o.message for o in outcomes] == [
        "Confirmed",
        "Confirmed",
        "On the waiting list: the event is full",
    ]
    assert outcomes[2].registration.waitlisted_at is not None
    assert places(event) == places(event).__class__(2, 2, 1)


def test_a_trust_over_its_cap_goes_to_the_waiting_list_while_others_still_book(app: Flask) -> None:
    event = open_event(capacity=10, trust_cap=2)
    first, second = trust_staff("RA1"), trust_staff("RB1")
    outcomes = book(event, first, 1, 2, 3)
    assert outcomes[2].message == "On the waiting list: your trust's 2 places are all taken"
    assert [o.message for o in book(event, second, 4)] == ["Confirmed"]


def test_one_active_booking_per_email_whatever_its_case(app: Flask) -> None:
    event = open_event()
    staff = trust_staff()
    book_places(event, [person(1, email="Pat@NHS.example")], actor=staff)
    again = book_places(event, [person(1, email="pat@nhs.EXAMPLE")], actor=staff)
    assert again[0].registration is None and "Already booked" in again[0].message
    assert db.session.query(Registration).count() == 1


def test_rebooking_after_a_withdrawal_works(app: Flask) -> None:
    event = open_event()
    staff = trust_staff()
    first = book(event, staff, 1)[0].registration
    withdraw(first, by="trust", actor=staff)
    second = book(event, staff, 1)[0].registration
    assert second.id != first.id and second.is_confirmed


def test_the_database_allows_one_active_registration_per_email(app: Flask) -> None:
    event = open_event()
    staff = trust_staff()
    existing = book(event, staff, 1)[0].registration
    twin = Registration(
        event=event,
        trust=existing.trust,
        attendee_name="Twin",
        attendee_email=existing.attendee_email,
        job_role=existing.job_role,
        state=RegistrationState.WAITLISTED,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("draft", "has not been published"),
        ("cancelled", "has been cancelled"),
        ("deadline", "Registration for this event has closed"),
        ("started", "already taken place"),
    ],
)
def test_booking_is_impossible_for_drafts_cancelled_closed_and_past_events(
    app: Flask, change: str, message: str
) -> None:
    from portal.events.models import EventState

    event = open_event()
    staff = trust_staff()
    if change == "draft":
        event.state = EventState.DRAFT
    elif change == "cancelled":
        cancel_event(event, "Snow", actor=make_user("admin"))
    elif change == "deadline":
        event.registration_deadline = today_in_london() - timedelta(days=1)
    db.session.commit()
    now = event.starts_at + timedelta(minutes=1) if change == "started" else None
    with pytest.raises(BookingError, match=message):
        book_places(event, [person(1)], actor=staff, now=now)


def test_only_trust_staff_of_the_region_may_book_unless_the_event_is_open_to_all(
    app: Flask,
) -> None:
    event = open_event()
    outsider = trust_staff("RZ1", "north-west")
    with pytest.raises(BookingError, match="open to your trust"):
        book(event, outsider, 1)
    event.open_to_all_regions = True
    db.session.commit()
    assert book(event, outsider, 1)[0].confirmed
    with pytest.raises(BookingError):
        book_places(event, [person(2)], actor=make_user("admin"))


def test_a_withdrawal_promotes_the_oldest_waiting_entry(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    first, second, _third = (o.registration for o in book(event, staff, 1, 2, 3))
    promoted = withdraw(first, by="attendee")
    assert promoted == [second]
    assert states(event) == {
        "attendee1@nhs.example": RegistrationState.WITHDRAWN,
        "attendee2@nhs.example": RegistrationState.CONFIRMED,
        "attendee3@nhs.example": RegistrationState.WAITLISTED,
    }
    assert withdraw(first, by="attendee") == []  # a second click changes nothing


def test_an_entry_whose_trust_is_at_its_cap_is_skipped_but_keeps_its_place(app: Flask) -> None:
    event = open_event(capacity=2, trust_cap=1)
    a, b = trust_staff("RA1"), trust_staff("RB1")
    a1 = book(event, a, "a1")[0].registration
    b1 = book(event, b, "b1")[0].registration
    a2 = book(event, a, "a2")[0].registration  # waiting: full (and A at its cap)
    b2 = book(event, b, "b2")[0].registration  # waiting: full
    assert (a2.state, b2.state) == (RegistrationState.WAITLISTED, RegistrationState.WAITLISTED)
    withdraw(b1, by="trust", actor=b)
    db.session.refresh(a2)
    db.session.refresh(b2)
    assert b2.is_confirmed and a2.is_waitlisted  # A is still at its cap: a2 skipped
    withdraw(a1, by="trust", actor=a)
    db.session.refresh(a2)
    assert a2.is_confirmed  # and a2 kept its place in the queue


def test_no_promotion_once_the_event_has_started(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    first, second = (o.registration for o in book(event, staff, 1, 2))
    assert withdraw(first, by="attendee", now=event.starts_at + timedelta(minutes=5)) == []
    db.session.refresh(second)
    assert second.is_waitlisted


def test_a_person_promoted_then_withdrawn_is_not_queued_again(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    first, second, third = (o.registration for o in book(event, staff, 1, 2, 3))
    withdraw(first, by="trust", actor=staff)
    withdraw(second, by="attendee")
    db.session.refresh(third)
    assert third.is_confirmed
    assert states(event)["attendee2@nhs.example"] is RegistrationState.WITHDRAWN


def test_the_coordinator_removing_someone_promotes_too(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    first, second = (o.registration for o in book(event, staff, 1, 2))
    coordinator = db.session.get(type(staff), event.created_by_id)
    assert remove(first, actor=coordinator) == [second]
    assert first.state is RegistrationState.REMOVED


def test_capacity_cannot_drop_below_the_confirmed_places_and_raising_it_promotes(
    app: Flask,
) -> None:
    event = open_event(capacity=3)
    staff = trust_staff()
    book(event, staff, 1, 2, 3, 4, 5)
    coordinator = db.session.get(type(staff), event.created_by_id)
    with pytest.raises(
        EventError,
        match=r"3 people have confirmed places\. Remove 1 person before lowering the places to 2",
    ):
        update_event(event, {"capacity": 2}, actor=coordinator)
    update_event(event, {"capacity": 4}, actor=coordinator)
    assert places(event).confirmed == 4 and places(event).waiting == 1


def test_raising_the_trust_cap_promotes(app: Flask) -> None:
    event = open_event(capacity=10, trust_cap=1)
    staff = trust_staff()
    book(event, staff, 1, 2, 3)
    coordinator = db.session.get(type(staff), event.created_by_id)
    update_event(event, {"trust_cap": 2}, actor=coordinator)
    assert places(event).confirmed == 2


def test_sending_a_colleague_instead_keeps_the_place_and_audits_field_names_only(
    app: Flask,
) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    original, waiting = (o.registration for o in book(event, staff, 1, 2))
    change_attendee(
        original, person("colleague", name="Sam Colleague", email="sam@nhs.example"), actor=staff
    )
    assert original.is_confirmed and original.attendee_email == "sam@nhs.example"
    db.session.refresh(waiting)
    assert waiting.is_waitlisted
    entry = db.session.query(AuditEntry).filter_by(action="registration.changed").one()
    assert entry.after == {"event_id": event.id, "changed": ["attendee_email", "attendee_name"]}
    with pytest.raises(BookingError, match="already booked"):
        change_attendee(original, person(2), actor=staff)


def test_audit_entries_of_registrations_hold_no_personal_data(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    first, _ = (
        o.registration
        for o in book_places(
            event,
            [person(1, access_needs="Wheelchair access"), person(2, dietary_needs="Vegan")],
            actor=staff,
        )
    )
    withdraw(first, by="attendee")
    entries = db.session.query(AuditEntry).filter_by(object_type="registration").all()
    assert {e.action for e in entries} >= {
        "registration.confirmed",
        "registration.waitlisted",
        "registration.withdrawn",
        "registration.promoted",
    }
    dump = json.dumps([[e.before, e.after] for e in entries])
    for secret in ("attendee1", "Attendee 1", "nhs.example", "Wheelchair", "Vegan"):
        assert secret not in dump


def test_check_in_names_the_state_it_sets(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    confirmed, waiting = (o.registration for o in book(event, staff, 1, 2))
    coordinator = db.session.get(type(staff), event.created_by_id)
    set_attended(confirmed, True, actor=coordinator)
    set_attended(confirmed, True, actor=coordinator)  # a double tap
    assert confirmed.attended and confirmed.checked_in_at is not None
    assert db.session.query(AuditEntry).filter_by(action="registration.checked_in").count() == 1
    set_attended(confirmed, False, actor=coordinator)
    assert not confirmed.attended and confirmed.checked_in_at is None
    with pytest.raises(BookingError, match="confirmed place"):
        set_attended(waiting, True, actor=coordinator)


def test_self_service_links_work_for_their_own_booking_only(app: Flask) -> None:
    event = open_event()
    staff = trust_staff()
    one, two = (o.registration for o in book(event, staff, 1, 2))
    token = self_service_token(one)
    assert registration_from_token(token) is one
    assert registration_from_token(token[:-2] + "xx") is None
    assert registration_from_token(self_service_token(two)) is two
    change_attendee(one, person("new"), actor=staff)
    assert registration_from_token(token) is None  # the previous attendee's link dies


# --- Messages in the outbox ---------------------------------------------------------------------


def messages_to(address: str) -> list[OutboxMessage]:
    return list(
        db.session.query(OutboxMessage).filter_by(to_address=address).order_by(OutboxMessage.id)
    )


def test_a_confirmed_booking_sends_an_invitation_to_the_attendee_and_a_plain_note_to_the_booker(
    app: Flask,
) -> None:
    event = open_event(online_url="https://meet.example/room-7")
    staff = trust_staff()
    (outcome,) = book(event, staff, 1)
    (to_attendee,) = messages_to("attendee1@nhs.example")
    assert to_attendee.kind == "registration.confirmed"
    assert to_attendee.calendar_method == "REQUEST"
    ics = to_attendee.calendar.decode()
    assert "METHOD:REQUEST" in ics and "RSVP=FALSE" in ics
    # The attendee's own entry, linked to the feeds' one by the event's address.
    assert f"UID:{outcome.registration.calendar_uid}" in ics and event.uid not in ics
    assert f"URL:https://portal.example.org/events/{event.id}" in ics
    assert "mailto:attendee1@nhs.example" in ics and "ORGANIZER" in ics
    assert "room-7" in to_attendee.text_body and "/bookings/self-service/" in to_attendee.text_body
    (to_booker,) = messages_to(staff.email)
    assert to_booker.calendar is None and "room-7" not in to_booker.text_body


def test_waiting_promotion_withdrawal_change_and_cancellation_messages(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    first, _second = (o.registration for o in book(event, staff, 1, 2))
    assert [m.kind for m in messages_to("attendee2@nhs.example")] == ["registration.waitlisted"]
    withdraw(first, by="attendee")
    assert [(m.kind, m.calendar_method) for m in messages_to("attendee1@nhs.example")][-1] == (
        "registration.withdrawn",
        "CANCEL",
    )
    assert [(m.kind, m.calendar_method) for m in messages_to("attendee2@nhs.example")][-1] == (
        "registration.promoted",
        "REQUEST",
    )
    coordinator = db.session.get(type(staff), event.created_by_id)
    update_event(event, {"venue_name": "A new hall"}, actor=coordinator)
    changed = messages_to("attendee2@nhs.example")[-1]
    assert changed.kind == "event.changed" and "SEQUENCE:1" in changed.calendar.decode()
    cancel_event(event, "The venue flooded", actor=coordinator)
    cancelled = messages_to("attendee2@nhs.example")[-1]
    assert (cancelled.kind, cancelled.calendar_method) == ("event.cancelled", "CANCEL")
    assert (
        "METHOD:CANCEL" in cancelled.calendar.decode()
        and "SEQUENCE:2" in cancelled.calendar.decode()
    )
    assert not [m for m in messages_to("attendee1@nhs.example") if m.kind == "event.cancelled"]


def test_messages_are_written_in_the_same_transaction_as_the_booking(app: Flask) -> None:
    event = open_event()
    staff = trust_staff()
    before = db.session.query(OutboxMessage).count()
    with pytest.raises(BookingError):
        book_places(event, [person(1)], actor=staff, now=event.starts_at + timedelta(hours=1))
    assert db.session.query(OutboxMessage).count() == before
    assert utcnow()
