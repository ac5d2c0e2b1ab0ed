"""Each attendee's own calendar entry: every message about an event carries the attendee's UID
and a SEQUENCE higher than the one before (RFC 5546 3.2), stamped when the message was made;
three parsers read every invitation type alike, whatever the title and whichever clock applies."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from sqlalchemy import select

from portal.auth.service import find_by_email
from portal.events.models import NetworkEvent
from portal.events.service import cancel_event, update_event
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.registrations.service import change_attendee, withdraw
from portal.web.dates import today_in_london
from tests.client import PortalClient
from tests.events.helpers import event_values
from tests.factories import open_event, trust_staff
from tests.registrations.helpers import book, person

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ICALJS = PROJECT_ROOT / "tests" / "feeds" / "read_with_icaljs.mjs"
ATTENDEE = "attendee1@nhs.example"
LONDON = ZoneInfo("Europe/London")


def calendar_messages(address: str) -> list[OutboxMessage]:
    """The messages with a calendar sent to `address`, in the order they were made."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == address, OutboxMessage.calendar.is_not(None))
            .order_by(OutboxMessage.id)
        )
    )


def read_with_icaljs(body: bytes) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(ICALJS)], input=body, capture_output=True, check=True, cwd=PROJECT_ROOT
    )
    return dict(json.loads(result.stdout))


def as_read(body: bytes) -> dict[str, tuple[Any, ...]]:
    """What each parser reads of the one event: UID, UTC start and end, summary, location,
    status, sequence and DTSTAMP (UTC)."""
    (component,) = Calendar.from_ical(body).walk("VEVENT")
    by_icalendar = (
        str(component["uid"]),
        component.decoded("dtstart").astimezone(UTC),
        component.decoded("dtend").astimezone(UTC),
        str(component["summary"]),
        str(component["location"]),
        str(component["status"]),
        int(component["sequence"]),
        component.decoded("dtstamp").astimezone(UTC),
    )
    (event,) = IcsCalendarStream.calendar_from_ics(body.decode()).events
    by_ical = (
        event.uid,
        event.dtstart.astimezone(UTC),
        event.dtend.astimezone(UTC),
        event.summary,
        event.location,
        str(event.status.value) if event.status else None,
        event.sequence,
        event.dtstamp.astimezone(UTC),
    )
    (read,) = read_with_icaljs(body)["events"]
    by_icaljs = (
        read["uid"],
        datetime.fromisoformat(read["start_utc"]),
        datetime.fromisoformat(read["end_utc"]),
        read["summary"],
        read["location"],
        read["status"],
        read["sequence"],
        datetime.fromisoformat(read["dtstamp"]),
    )
    return {"icalendar": by_icalendar, "ical": by_ical, "ical.js": by_icaljs}


def agreed(body: bytes) -> tuple[Any, ...]:
    """What all three parsers read alike (the test fails if any differs)."""
    readings = as_read(body)
    assert readings["icalendar"] == readings["ical"] == readings["ical.js"], readings
    return readings["icalendar"]


def later_time(event: NetworkEvent) -> dict[str, Any]:
    return event_values(
        title=event.title,
        event_date=event.event_date,
        start_time=time(10, 0),
        end_time=time(15, 30),
        capacity=event.capacity,
    )


def test_an_attendees_five_messages_rise_in_sequence_on_one_entry_of_their_own(
    app: Flask, client: PortalClient
) -> None:
    event = open_event(capacity=5)
    coordinator = find_by_email("coordinator.london@nhs.example")
    assert coordinator is not None
    staff = trust_staff()

    (first,) = (o.registration for o in book(event, staff, 1))  # invited
    update_event(event, later_time(event), actor=coordinator)  # the time changes
    withdraw(first, by="attendee")  # withdrawn
    (again,) = (o.registration for o in book(event, staff, 1))  # booked again
    cancel_event(event, "The venue has flooded.", actor=coordinator)  # the event is cancelled

    messages = calendar_messages(ATTENDEE)
    assert [m.calendar_method for m in messages] == [
        "REQUEST",
        "REQUEST",
        "CANCEL",
        "REQUEST",
        "CANCEL",
    ]
    read = [agreed(m.calendar) for m in messages]
    # One entry of the attendee's own, through the re-booking; not the feeds' entry.
    assert {r[0] for r in read} == {first.calendar_uid} == {again.calendar_uid}
    assert first.calendar_uid != event.uid
    sequences = [r[6] for r in read]
    assert all(a < b for a, b in pairwise(sequences)), sequences
    # DTSTAMP: when each message was made (to the second), not the event's last change.
    for message, reading in zip(messages, read, strict=True):
        made = message.created_at.astimezone(UTC)
        assert abs(reading[7] - made) < timedelta(seconds=1), (reading[7], made)
    # The new time reached the attendee's entry; both cancellations say so.
    new_start = datetime.combine(event.event_date, time(10, 0), tzinfo=LONDON).astimezone(UTC)
    assert read[0][1] != new_start and read[1][1] == new_start
    assert (read[2][5], read[4][5]) == ("CANCELLED", "CANCELLED")
    # The feed still shows the event's own UID and SEQUENCE.
    (in_feed,) = Calendar.from_ical(client.get(f"/events/{event.id}/calendar.ics").data).walk(
        "VEVENT"
    )
    assert (str(in_feed["uid"]), int(in_feed["sequence"])) == (event.uid, event.sequence)


def test_a_place_passed_to_a_colleague_cancels_the_first_entry_and_starts_the_colleagues(
    app: Flask,
) -> None:
    event = open_event(capacity=5)
    staff = trust_staff()
    (registration,) = (o.registration for o in book(event, staff, 1))
    first_uid = registration.calendar_uid

    change_attendee(registration, person(2), actor=staff)

    (invited, cancelled) = calendar_messages(ATTENDEE)
    assert (invited.calendar_method, cancelled.calendar_method) == ("REQUEST", "CANCEL")
    first, gone = agreed(invited.calendar), agreed(cancelled.calendar)
    assert first[0] == gone[0] == first_uid and gone[6] > first[6]
    (colleague,) = calendar_messages("attendee2@nhs.example")
    theirs = agreed(colleague.calendar)
    assert theirs[0] == registration.calendar_uid != first_uid


def test_a_colleague_who_had_withdrawn_gets_their_own_entry_back_with_a_higher_sequence(
    app: Flask,
) -> None:
    event = open_event(capacity=5)
    staff = trust_staff()
    (earlier,) = (o.registration for o in book(event, staff, 2))
    withdraw(earlier, by="attendee")
    (registration,) = (o.registration for o in book(event, staff, 1))

    change_attendee(registration, person(2), actor=staff)

    sent = [agreed(m.calendar) for m in calendar_messages("attendee2@nhs.example")]
    assert [s[0] for s in sent] == [earlier.calendar_uid] * 3
    assert [s[6] for s in sent] == sorted({s[6] for s in sent})


# --- Every invitation type read alike, on awkward days and with awkward titles ------------------

TITLES = [
    "Breech, twins; and VBAC: a \\ day",
    'The "normal birth" toolkit – what works 👶',
    "Рождение и кесарево сечение · 剖腹产",
]


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def days_to_try() -> list[date]:
    """The next clock-change Sundays (spring and autumn), a day in GMT and a day in BST."""
    today = today_in_london()
    year = today.year + 1
    return [last_sunday(year, 3), last_sunday(year, 10), date(year, 1, 14), date(year, 7, 14)]


@pytest.mark.parametrize("title", TITLES)
def test_every_invitation_type_is_read_alike_by_three_parsers(app: Flask, title: str) -> None:
    staff = trust_staff()
    for n, day in enumerate(days_to_try()):
        event = open_event(
            capacity=5,
            title=f"{title} {n}",
            event_date=day,
            start_time=time(9, 30),
            end_time=time(16, 0),
            venue_name="Hall, Room 2; East",
        )
        (registration,) = (o.registration for o in book(event, staff, f"{n}x"))
        withdraw(registration, by="attendee")
        messages = calendar_messages(f"attendee{n}x@nhs.example")
        assert [m.calendar_method for m in messages] == ["REQUEST", "CANCEL"]
        for message in messages:
            reading = agreed(message.calendar)
            assert reading[3].endswith(f"{title} {n}")
            starts = datetime.combine(day, time(9, 30), tzinfo=LONDON).astimezone(UTC)
            assert reading[1] == starts
            assert reading[4].startswith("Hall, Room 2; East, 1 Park Row")
