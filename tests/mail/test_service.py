"""The outbox's rules, with an injected clock and a transport that keeps messages in memory."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from flask import Flask

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.mail.models import MailStatus, OutboxMessage
from portal.mail.service import (
    ERASED_BEFORE_SENDING,
    MailError,
    erase_bodies,
    failed_messages,
    organizer_address,
    outbox_counts,
    queue_message,
    retry_delay,
    retry_failed,
    send_pending,
)
from portal.mail.transports import TransportUnavailable
from tests.factories import make_user
from tests.mail.helpers import MemoryTransport, calendar_bytes, queue, reload

MINUTE = timedelta(minutes=1)


class WorkerCrash(BaseException):
    """Stands for a worker killed while it sends (nothing after the send runs)."""


# --- Queueing in the caller's transaction ---------------------------------------------------


def test_a_message_is_committed_with_the_change_that_caused_it(app: Flask) -> None:
    user = make_user("admin", name="Before")
    user.name = "After"
    queue_message(to=user.email, subject="Your name changed", text="Hello", kind="test.renamed")
    db.session.commit()
    assert db.session.get(User, user.id).name == "After"
    assert [m.kind for m in db.session.query(OutboxMessage)] == ["test.renamed"]


def test_a_message_is_rolled_back_with_the_change_that_caused_it(app: Flask) -> None:
    user = make_user("admin", name="Before")
    user.name = "After"
    message = queue_message(to=user.email, subject="Renamed", text="Hello", kind="test.renamed")
    assert message.id is not None  # flushed: the caller can refer to it
    db.session.rollback()
    assert db.session.get(User, user.id).name == "Before"
    assert db.session.query(OutboxMessage).count() == 0


def test_a_queued_message_waits_for_the_worker(app: Flask) -> None:
    before = utcnow()
    message = queue(1, related_type="registration", related_id=42)
    assert message.status is MailStatus.PENDING
    assert message.attempts == 0
    assert before <= message.created_at == message.next_attempt_at <= utcnow()
    assert (message.related_type, message.related_id) == ("registration", 42)
    assert message.sent_at is None and message.claimed_until is None


@pytest.mark.parametrize(
    "to",
    ["", "not an address", "a@example.org, b@example.org", "a@example.org\r\nBcc: x@example.org"],
)
def test_queue_message_takes_exactly_one_address(app: Flask, to: str) -> None:
    with pytest.raises(ValueError, match="exactly one e-mail address"):
        queue_message(to=to, subject="S", text="T", kind="test")


def test_queue_message_accepts_a_name_with_the_address(app: Flask) -> None:
    message = queue_message(to="Zoë Smith <zoe@example.org>", subject="S", text="T", kind="test")
    assert message.to_address == "Zoë Smith <zoe@example.org>"


def test_a_subject_is_kept_on_one_line(app: Flask) -> None:
    message = queue_message(to="a@example.org", subject="Booked:\n  Title ", text="T", kind="t")
    assert message.subject == "Booked: Title"


@pytest.mark.parametrize(
    ("calendar", "method", "problem"),
    [
        (calendar_bytes("REQUEST"), None, "calendar_method must be"),
        (calendar_bytes("REQUEST"), "PUBLISH", "calendar_method must be"),
        (calendar_bytes("REQUEST"), "CANCEL", "METHOD line must say CANCEL"),
        (calendar_bytes("CANCEL"), "REQUEST", "METHOD line must say REQUEST"),
        (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "REQUEST", "METHOD line"),
        (None, "REQUEST", "calendar_method without a calendar"),
    ],
)
def test_the_invitation_method_must_match_the_calendar(
    app: Flask, calendar: bytes | None, method: str | None, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        queue_message(
            to="a@example.org",
            subject="S",
            text="T",
            calendar=calendar,
            calendar_method=method,
            kind="test",
        )


def test_organizer_address_is_the_bare_programme_mailbox(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert organizer_address() == "cs-programme@example.org"
    monkeypatch.setitem(app.config, "MAIL_ORGANIZER", "CS programme <team@example.nhs.uk>")
    assert organizer_address() == "team@example.nhs.uk"


# --- Sending --------------------------------------------------------------------------------


def test_only_due_messages_are_sent(app: Flask) -> None:
    message = queue(1)
    transport = MemoryTransport()
    early = send_pending(now=message.created_at - MINUTE, transport=transport)
    assert (early.sent, early.retried, early.failed) == (0, 0, 0)
    assert transport.sent == []

    now = message.created_at + MINUTE
    report = send_pending(now=now, transport=transport)
    assert str(report) == "Sent 1, will retry 0, failed 0"
    assert transport.sent_ids == [message.id]
    sent = reload(message)
    assert sent.status is MailStatus.SENT
    assert sent.sent_at == now
    assert sent.attempts == 1
    assert sent.claimed_until is None and sent.claim_token is None
    again = send_pending(now=now + MINUTE, transport=transport)
    assert again.handled == 0 and len(transport.sent) == 1
    assert transport.closed == 3  # each pass ends its connection


def test_messages_go_oldest_first_up_to_the_limit(app: Flask) -> None:
    messages = [queue(n) for n in range(5)]
    transport = MemoryTransport()
    now = utcnow() + MINUTE
    assert send_pending(now=now, transport=transport, limit=3).sent == 3
    assert send_pending(now=now, transport=transport, limit=3).sent == 2
    assert transport.sent_ids == [m.id for m in messages]


def test_the_sent_message_has_the_portal_sender_and_the_programme_reply_to(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_FROM", "CS network <portal@example.nhs.uk>")
    monkeypatch.setitem(app.config, "MAIL_ORGANIZER", "team@example.nhs.uk")
    queue(1, to="Ann Example <ann@example.org>", subject="Your place is booked")
    transport = MemoryTransport()
    send_pending(now=utcnow() + MINUTE, transport=transport)
    [(_, sent)] = transport.sent
    assert sent["From"] == "CS network <portal@example.nhs.uk>"
    assert sent["Reply-To"] == "team@example.nhs.uk"
    assert sent["To"] == "Ann Example <ann@example.org>"
    assert sent["Subject"] == "Your place is booked"
    assert sent["Message-ID"].endswith("@example.nhs.uk>")


def test_retry_delay_doubles_from_the_base_and_is_capped() -> None:
    delays = [retry_delay(n, 60) for n in range(1, 9)]
    assert [d.total_seconds() / 60 for d in delays] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert retry_delay(500, 60) == timedelta(minutes=30)
    assert retry_delay(1, 7200) == timedelta(hours=2)  # a base beyond the cap is kept


def test_failures_are_retried_with_backoff_then_given_up(app: Flask) -> None:
    message = queue(1)
    transport = MemoryTransport(fail=smtplib.SMTPDataError(451, b"4.3.0 Try later"))
    now = message.created_at
    waits = []
    for attempt in range(1, 8):
        report = send_pending(now=now, transport=transport)
        assert str(report) == "Sent 0, will retry 1, failed 0", attempt
        row = reload(message)
        assert row.status is MailStatus.PENDING and row.attempts == attempt
        assert row.last_error == "Message refused: 451 4.3.0 Try later"
        waits.append(row.next_attempt_at - now)
        # Not due a moment before the wait is over.
        assert (
            send_pending(
                now=row.next_attempt_at - timedelta(seconds=1), transport=transport
            ).handled
            == 0
        )
        now = row.next_attempt_at
    assert [w.total_seconds() / 60 for w in waits] == [1, 2, 4, 8, 16, 30, 30]

    last = send_pending(now=now, transport=transport)
    assert str(last) == "Sent 0, will retry 0, failed 1"
    row = reload(message)
    assert row.status is MailStatus.FAILED and row.attempts == 8
    assert transport.attempts == [message.id] * 8
    assert send_pending(now=now + timedelta(days=1), transport=transport).handled == 0
    found = failed_messages(1, 25)
    assert (found.items, found.total, found.pages) == ([row], 1, 1)


def test_max_attempts_comes_from_the_settings(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 10)
    message = queue(1)
    transport = MemoryTransport(fail=smtplib.SMTPDataError(554, b"No"))
    first = send_pending(now=message.created_at, transport=transport)
    assert first.retried == 1
    assert reload(message).next_attempt_at == message.created_at + timedelta(seconds=10)
    second = send_pending(now=message.created_at + timedelta(seconds=10), transport=transport)
    assert second.failed == 1 and reload(message).status is MailStatus.FAILED


def test_one_refused_message_does_not_hold_up_the_others(app: Flask) -> None:
    refused, fine = queue(1), queue(2)

    class RefusesOne(MemoryTransport):
        def send(self, message, *, outbox_id, now):  # type: ignore[no-untyped-def]
            if outbox_id == refused.id:
                raise smtplib.SMTPRecipientsRefused(
                    {"person1@example.org": (550, b"5.1.1 <person1@example.org>: no such user")}
                )
            super().send(message, outbox_id=outbox_id, now=now)

    transport = RefusesOne()
    report = send_pending(now=utcnow() + MINUTE, transport=transport)
    assert (report.sent, report.retried) == (1, 1)
    assert transport.sent_ids == [fine.id]
    error = reload(refused).last_error
    # The server's answer, without the recipient's address (errors outlive the purge of bodies).
    assert error == "Recipient refused: 550 5.1.1 <the recipient>: no such user"


def test_an_unreachable_server_delays_mail_and_never_fails_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    first, second = queue(1), queue(2)
    transport = MemoryTransport(fail=TransportUnavailable("Connection refused"))
    now = utcnow()
    report = send_pending(now=now, transport=transport)
    # The pass stops at the first message: the server is down for the others too.
    assert str(report) == "Sent 0, will retry 1, failed 0"
    assert report.unavailable == "Mail server unavailable: Connection refused"
    assert transport.attempts == [first.id]
    assert reload(second).attempts == 0
    assert reload(first).last_error == "Mail server unavailable: Connection refused"

    for _ in range(10):
        now += timedelta(hours=1)
        send_pending(now=now, transport=transport)
    assert {reload(m).status for m in (first, second)} == {MailStatus.PENDING}
    assert reload(first).attempts > 2  # past MAIL_MAX_ATTEMPTS, and still waiting

    transport.fail = None
    now += timedelta(hours=1)
    assert send_pending(now=now, transport=transport).sent == 2
    assert sorted(transport.sent_ids) == sorted([first.id, second.id])


def test_a_claim_holds_while_its_worker_sends_and_runs_out_if_the_worker_dies(
    app: Flask,
) -> None:
    message = queue(1)
    now = message.created_at + MINUTE
    with pytest.raises(WorkerCrash):
        send_pending(now=now, transport=MemoryTransport(fail=WorkerCrash()))
    claimed = reload(message)
    assert claimed.status is MailStatus.PENDING and claimed.attempts == 1
    assert claimed.claimed_until == now + timedelta(minutes=10)

    transport = MemoryTransport()
    assert send_pending(now=now + timedelta(minutes=9), transport=transport).handled == 0
    assert transport.sent == []
    report = send_pending(now=now + timedelta(minutes=10), transport=transport)
    assert report.sent == 1 and transport.sent_ids == [message.id]
    assert reload(message).attempts == 2


def test_a_worker_that_lost_its_claim_records_nothing(app: Flask) -> None:
    message = queue(1)
    now = message.created_at
    later = MemoryTransport()

    class Stalls(MemoryTransport):
        """Hangs past the lease; meanwhile another worker takes the message over and sends it."""

        def send(self, email, *, outbox_id, now):  # type: ignore[no-untyped-def]
            other = send_pending(now=now + timedelta(minutes=11), transport=later)
            assert other.sent == 1
            raise smtplib.SMTPDataError(451, b"timed out at last")

    report = send_pending(now=now, transport=Stalls())
    assert report.handled == 0  # its result was not recorded
    row = reload(message)
    assert row.status is MailStatus.SENT and row.last_error is None
    assert later.sent_ids == [message.id]


def test_a_message_that_keeps_killing_its_worker_is_given_up(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    message = queue(1)
    now = message.created_at
    for _ in range(2):
        with pytest.raises(WorkerCrash):
            send_pending(now=now, transport=MemoryTransport(fail=WorkerCrash()))
        now += timedelta(minutes=10)
    report = send_pending(now=now, transport=MemoryTransport())
    assert str(report) == "Sent 0, will retry 0, failed 1"
    row = reload(message)
    assert row.status is MailStatus.FAILED
    assert "worker sending it stopped" in row.last_error


def test_a_message_that_cannot_be_built_fails_at_once(app: Flask) -> None:
    message = queue(1)
    message.calendar = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:\xff\r\n"  # not UTF-8
    message.calendar_method = "REQUEST"
    db.session.commit()
    report = send_pending(now=utcnow() + MINUTE, transport=MemoryTransport())
    assert report.failed == 1
    assert reload(message).last_error.startswith("Could not build the message")


# --- The programme team's view --------------------------------------------------------------


def test_counts_by_status(app: Flask) -> None:
    for n in range(3):
        queue(n)
    transport = MemoryTransport()
    send_pending(now=utcnow() + MINUTE, transport=transport, limit=1)
    assert outbox_counts() == {MailStatus.PENDING: 2, MailStatus.SENT: 1, MailStatus.FAILED: 0}


def test_trying_a_failed_message_again_starts_its_attempts_afresh_and_is_audited(
    app: Flask,
) -> None:
    admin = make_user("admin")
    message = queue(1)
    message.status, message.attempts, message.last_error = MailStatus.FAILED, 8, "554 No"
    db.session.commit()
    now = utcnow() + timedelta(hours=3)
    retry_failed(message.id, actor=admin, now=now)
    row = reload(message)
    assert (row.status, row.attempts, row.next_attempt_at) == (MailStatus.PENDING, 0, now)
    entry = db.session.query(AuditEntry).filter_by(action="mail.retried").one()
    assert entry.actor_id == admin.id and entry.object_id == str(message.id)
    assert entry.before == {"status": "failed", "attempts": 8}
    assert entry.after == {"status": "pending", "attempts": 0}
    with pytest.raises(MailError, match="no longer failed"):
        retry_failed(message.id, actor=admin)
    with pytest.raises(LookupError):
        retry_failed(message.id + 1000, actor=admin)
    assert send_pending(now=now, transport=MemoryTransport()).sent == 1


# --- Privacy ------------------------------------------------------------------------------


def test_erase_bodies_blanks_what_held_personal_data_and_keeps_the_counts(app: Flask) -> None:
    invitation = calendar_bytes("REQUEST")
    sent = queue(1, related_type="registration", related_id=1, html="<p>Hi</p>")
    sent.calendar, sent.calendar_method = invitation, "REQUEST"
    db.session.commit()
    send_pending(now=utcnow() + MINUTE, transport=MemoryTransport())
    waiting = queue(2, related_type="registration", related_id=1)
    other = queue(3, related_type="registration", related_id=2)
    by_id = queue(4)

    assert erase_bodies(related_type="registration", related_ids=[1]) == 2
    assert erase_bodies([by_id.id]) == 1
    db.session.commit()

    for message in (sent, waiting, by_id):
        row = reload(message)
        assert (row.to_address, row.subject, row.text_body) == ("", "", "")
        assert row.html_body is None and row.calendar is None
        assert row.erased_at is not None and row.kind == "test.message"
    assert reload(sent).status is MailStatus.SENT and reload(sent).sent_at is not None
    # A message still waiting will never be sent now: it is failed, and says why.
    assert reload(waiting).status is MailStatus.FAILED
    assert reload(waiting).last_error == ERASED_BEFORE_SENDING
    assert reload(other).to_address == "person3@example.org"
    assert send_pending(now=utcnow() + MINUTE, transport=MemoryTransport()).sent == 1  # `other`
    with pytest.raises(MailError, match="erased"):
        retry_failed(waiting.id, actor=None)
    # Erasing again changes nothing and counts nothing.
    assert erase_bodies(related_type="registration", related_ids=[1, 2]) == 1
    assert erase_bodies([sent.id, waiting.id]) == 0


def test_erase_bodies_belongs_to_the_callers_transaction(app: Flask) -> None:
    message = queue(1)
    assert erase_bodies([message.id]) == 1
    db.session.rollback()
    assert reload(message).to_address == "person1@example.org"


def test_erase_bodies_needs_something_to_match(app: Flask) -> None:
    queue(1)
    with pytest.raises(ValueError):
        erase_bodies()
    assert erase_bodies(related_type="registration") == 0
    assert erase_bodies([]) == 0


def test_erase_bodies_takes_long_lists(app: Flask) -> None:
    messages = [queue(n, related_type="registration", related_id=n) for n in range(3)]
    ids = [*range(10_000, 12_000), *(m.related_id for m in messages)]
    assert erase_bodies(related_type="registration", related_ids=ids) == 3
