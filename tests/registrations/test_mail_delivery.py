"""Bookings with the mail server down: they succeed, and every message arrives once it is back."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask import Flask
from ical.calendar_stream import IcsCalendarStream

from portal.extensions import utcnow
from portal.mail.service import send_pending
from portal.registrations.service import withdraw
from tests.factories import open_event, trust_staff
from tests.mail.local_smtp import LocalSmtpServer
from tests.registrations.helpers import book


def test_bookings_succeed_while_smtp_is_down_and_every_message_arrives_once(
    app: Flask,
    smtp_server: LocalSmtpServer,
) -> None:
    event = open_event(capacity=2)
    staff = trust_staff()
    bookings = [o.registration for o in book(event, staff, 1, 2, 3)]
    entries = {r.attendee_email: r.calendar_uid for r in bookings}
    first = bookings[0]
    withdraw(first, by="attendee")  # promotes attendee 3
    transport = smtp_server.transport()
    start = utcnow()
    while send_pending(now=start, transport=transport).handled:
        pass  # the server is down: each pass records a retry
    assert smtp_server.mailbox.received == []

    smtp_server.start()
    later = start + timedelta(hours=2)
    while send_pending(now=later, transport=transport).handled:
        pass
    received = smtp_server.mailbox.received
    to = Counter(rcpt for _, rcpts, _ in received for rcpt in rcpts)
    # Attendees: 1 confirmed + withdrawn; 2 confirmed; 3 waiting + promoted. The booker: a note
    # for each of the four changes that concern them (booked x3, promoted x1, withdrawn by 1).
    assert to == Counter(
        {
            "attendee1@nhs.example": 2,
            "attendee2@nhs.example": 1,
            "attendee3@nhs.example": 2,
            staff.email: 5,
        }
    )
    assert len({m["Message-ID"] for _, _, m in received}) == len(received)

    for _, rcpts, message in received:
        parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        if not parts:
            continue
        (part,) = parts
        body = part.get_content()
        method = "CANCEL" if "METHOD:CANCEL" in body else "REQUEST"
        assert part.get_param("method") == method
        calendar = IcsCalendarStream.calendar_from_ics(body)
        (vevent,) = calendar.events
        # Each attendee's own calendar entry, not the feeds' one.
        assert vevent.uid == entries[rcpts[0]] != event.uid
        assert any(a.uri == f"mailto:{rcpts[0]}" for a in vevent.attendees)
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
