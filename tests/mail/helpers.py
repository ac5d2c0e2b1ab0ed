"""A transport that keeps messages in memory, and small factories for outbox rows."""

from __future__ import annotations

import threading
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from portal.extensions import db
from portal.mail.models import MailStatus, OutboxMessage
from portal.mail.service import queue_message

CRLF = "\r\n"


def calendar_bytes(method: str = "REQUEST", summary: str = "Network event") -> bytes:
    """A small iTIP calendar, as the calendar code writes them (CRLF line ends)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tests//Mail//EN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        "UID:0123456789abcdef@cs-network-portal",
        "DTSTAMP:20261127T090000Z",
        "DTSTART;TZID=Europe/London:20270112T093000",
        "DTEND;TZID=Europe/London:20270112T160000",
        f"SUMMARY:{summary}",
        "SEQUENCE:0",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return (CRLF.join(lines) + CRLF).encode("utf-8")


class MemoryTransport:
    """Keeps what it is given; `fail` (an exception) makes every send raise it instead."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.fail = fail
        self.sent: list[tuple[int, EmailMessage]] = []
        self.attempts: list[int] = []
        self.closed = 0
        self._lock = threading.Lock()

    def send(self, message: EmailMessage, *, outbox_id: int, now: datetime) -> None:
        with self._lock:
            self.attempts.append(outbox_id)
        if self.fail is not None:
            raise self.fail
        with self._lock:
            self.sent.append((outbox_id, message))

    def close(self) -> None:
        self.closed += 1

    @property
    def sent_ids(self) -> list[int]:
        return [outbox_id for outbox_id, _ in self.sent]

    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for _, message in self.sent]


def queue(n: int = 1, **overrides: Any) -> OutboxMessage:
    """Queue and commit a plain message, numbered n."""
    values: dict[str, Any] = {
        "to": f"person{n}@example.org",
        "subject": f"Message {n}",
        "text": f"Hello, this is message {n}.",
        "kind": "test.message",
    }
    message = queue_message(**{**values, **overrides})
    db.session.commit()
    return message


def failed(
    n: int = 1, *, attempts: int = 8, error: str = "Message refused: 554 5.7.1 Spam"
) -> OutboxMessage:
    """A message the worker has given up on."""
    message = queue(n)
    message.status = MailStatus.FAILED
    message.attempts = attempts
    message.last_error = error
    db.session.commit()
    return message


def reload(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    found = db.session.get(OutboxMessage, message.id)
    assert found is not None
    return found
