"""Sending over real SMTP to a local server (aiosmtpd), including an outage of that server."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from portal.extensions import db, utcnow
from portal.mail.models import MailStatus, OutboxMessage
from portal.mail.service import queue_message, send_pending
from tests.mail.helpers import calendar_bytes, queue, reload
from tests.mail.local_smtp import LocalSmtpServer

MESSAGES = 20


def test_an_smtp_outage_delays_mail_and_loses_none(
    app: Flask, smtp_server: LocalSmtpServer
) -> None:
    messages = [queue(n) for n in range(MESSAGES)]
    transport = smtp_server.transport()
    start = utcnow()

    # The server is down: each pass tries one message, records a retry and stops.
    passes = []
    while (report := send_pending(now=start, transport=transport)).handled:
        passes.append(report)
        assert report.unavailable and "Connection refused" in report.unavailable
    assert [str(p) for p in passes] == ["Sent 0, will retry 1, failed 0"] * MESSAGES
    for message in messages:
        row = reload(message)
        assert (row.status, row.attempts) == (MailStatus.PENDING, 1)
        assert row.next_attempt_at == start + timedelta(minutes=1)
        assert row.last_error.startswith("Mail server unavailable: SMTP server 127.0.0.1:")
    assert db.session.query(OutboxMessage).count() == MESSAGES

    smtp_server.start()
    # Back up, but the messages wait out their backoff.
    assert send_pending(now=start + timedelta(seconds=59), transport=transport).handled == 0
    assert smtp_server.mailbox.received == []

    report = send_pending(now=start + timedelta(minutes=1), transport=transport)
    assert str(report) == f"Sent {MESSAGES}, will retry 0, failed 0"
    assert send_pending(now=start + timedelta(hours=1), transport=transport).handled == 0
    assert smtp_server.mailbox.connections == 1  # all of them over one connection
    # Every message arrived, each exactly once.
    assert smtp_server.mailbox.subjects() == Counter({f"Message {n}": 1 for n in range(MESSAGES)})
    assert {reload(m).status for m in messages} == {MailStatus.SENT}
    assert {reload(m).attempts for m in messages} == {2}


def test_mail_send_delivers_over_smtp_from_the_settings(
    app: Flask,
    runner: FlaskCliRunner,
    smtp_server: LocalSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_FOLDER", "")
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    smtp_server.start()
    queue(1)
    queue_message(
        to="Zoë Smith <zoe@example.org>",
        subject="Invitation: network day",
        text="You are booked.",
        html="<p>You are booked.</p>",
        calendar=calendar_bytes("REQUEST"),
        calendar_method="REQUEST",
        kind="test.invitation",
    )
    db.session.commit()

    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert result.output == "Sent 2, will retry 0, failed 0\n"
    envelopes = {tuple(rcpt): sender for sender, rcpt, _ in smtp_server.mailbox.received}
    assert envelopes == {
        ("person1@example.org",): "noreply@example.org",
        ("zoe@example.org",): "noreply@example.org",
    }
    invitation = next(
        m for _, _, m in smtp_server.mailbox.received if m["To"].addresses[0].username == "zoe"
    )
    inline = next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")
    assert inline.get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in inline.get_content()
    assert invitation["To"].addresses[0].display_name == "Zoë Smith"


def test_a_refused_recipient_is_retried_and_the_others_still_go(
    app: Flask, smtp_server: LocalSmtpServer
) -> None:
    smtp_server.start()
    smtp_server.mailbox.refuse = {"person1@example.org"}
    refused = queue(1)
    others = [queue(2), queue(3)]
    report = send_pending(now=utcnow(), transport=smtp_server.transport())
    assert str(report) == "Sent 2, will retry 1, failed 0"
    assert smtp_server.mailbox.subjects() == Counter({"Message 2": 1, "Message 3": 1})
    row = reload(refused)
    assert row.status is MailStatus.PENDING
    assert row.last_error == "Recipient refused: 550 5.1.1 <the recipient>: no such user"
    assert {reload(m).status for m in others} == {MailStatus.SENT}
    assert smtp_server.mailbox.connections == 1  # one connection for the whole pass


def test_a_connection_closed_by_the_server_is_opened_again_for_the_next_message(
    app: Flask, smtp_server: LocalSmtpServer
) -> None:
    smtp_server.start()
    smtp_server.mailbox.closing_on = {"Message 1"}
    first, second = queue(1), queue(2)
    report = send_pending(now=utcnow(), transport=smtp_server.transport())
    assert str(report) == "Sent 1, will retry 1, failed 0"
    assert reload(first).last_error == "Message refused: 421 4.3.2 Service shutting down"
    assert reload(second).status is MailStatus.SENT
    assert smtp_server.mailbox.subjects() == Counter({"Message 2": 1})
    assert smtp_server.mailbox.connections == 2
