"""An attendee's name in an invitation is read the same by every parser, quotes and all."""

from __future__ import annotations

from flask import Flask
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from portal.events.calendar import invitation
from portal.extensions import utcnow
from tests.factories import make_event, make_user

NAME = 'Jo "JJ" O\'Neil; Smith, Jr'
READ_AS = "Jo 'JJ' O'Neil; Smith, Jr"


def _invitation(app: Flask, name: str) -> bytes:
    event = make_event(make_user("coordinator", "c@nhs.example"), publish=True)
    return invitation(
        event,
        method="REQUEST",
        uid="attendee-entry@cs-network-portal",
        sequence=0,
        stamp=utcnow(),
        attendee_name=name,
        attendee_email="jo@nhs.example",
        organizer="programme@nhs.example",
        url="https://portal.example.org/events/1",
    )


def test_a_name_with_quotes_semicolons_and_commas_reads_the_same_everywhere(app: Flask) -> None:
    body = _invitation(app, NAME)
    assert b"^'" not in body  # no RFC 6868 escape, which parsers read differently
    (event,) = IcsCalendarStream.calendar_from_ics(body.decode()).events
    assert [attendee.common_name for attendee in event.attendees] == [READ_AS]
    (vevent,) = Calendar.from_ical(body).walk("VEVENT")
    assert vevent["ATTENDEE"].params["CN"] == READ_AS


def test_an_empty_name_gives_no_cn_at_all(app: Flask) -> None:
    body = _invitation(app, "  ")
    assert b"CN=" not in body.split(b"ATTENDEE", 1)[1].split(b"\r\n", 1)[0]
