"""flask --app app mail send [--loop]"""

from __future__ import annotations

import email
import email.policy
import signal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from portal.extensions import db
from portal.mail import cli as mail_cli
from portal.mail.models import MailStatus, OutboxMessage
from portal.mail.service import SendReport
from tests.mail.helpers import queue


@pytest.fixture
def folder(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(out))
    return out


def test_mail_send_delivers_what_is_due_and_exits(runner: FlaskCliRunner, folder: Path) -> None:
    queue(1)
    queue(2, subject="Café – booked")
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert result.output == "Sent 2, will retry 0, failed 0\n"
    written = sorted(folder.glob("*.eml"))
    assert len(written) == 2
    subjects = {
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"]
        for path in written
    }
    assert subjects == {"Message 1", "Café – booked"}
    assert {m.status for m in db.session.query(OutboxMessage)} == {MailStatus.SENT}
    again = runner.invoke(args=["mail", "send"])
    assert again.output == "Sent 0, will retry 0, failed 0\n"


def test_mail_send_in_development_writes_into_the_instance_folder(
    app: Flask, runner: FlaskCliRunner
) -> None:
    message = queue(1)
    assert runner.invoke(args=["mail", "send"]).exit_code == 0
    assert list((Path(app.instance_path) / "mail").glob(f"*-{message.id}.eml"))


def test_a_misconfigured_transport_is_a_clear_error(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "file"))
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "Error: MAIL_FOLDER: cannot create the folder" in result.output

    monkeypatch.setitem(app.config, "MAIL_FOLDER", "")
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    result = runner.invoke(args=["mail", "send", "--loop"])
    assert result.exit_code == 1
    assert "SMTP_HOST is not set" in result.output


def test_help_explains_the_command(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["mail", "send", "--help"])
    assert result.exit_code == 0
    assert "--loop" in result.output and "--interval SECONDS" in result.output
    assert "[default: 10; x>0]" in result.output
    assert runner.invoke(args=["mail", "send", "--interval", "0"]).exit_code == 2


def stop_after_first_pass(calls: list[Any]) -> Any:
    """send_pending, followed by a SIGTERM to this process (as `systemctl stop` would send)."""
    real = mail_cli.send_pending

    def send_then_stop(**kwargs: Any) -> Any:
        calls.append(kwargs)
        try:
            return real(**kwargs)
        finally:
            signal.raise_signal(signal.SIGTERM)

    return send_then_stop


def test_the_loop_stops_cleanly_on_sigterm(
    runner: FlaskCliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue(1)
    calls: list[Any] = []
    monkeypatch.setattr(mail_cli, "send_pending", stop_after_first_pass(calls))
    before = signal.getsignal(signal.SIGTERM)
    result = runner.invoke(args=["mail", "send", "--loop", "--interval", "0.01"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Sending e-mail through folder {folder} every 0.01 seconds")
    assert lines[1:] == ["Sent 1, will retry 0, failed 0", "Stopped."]
    assert len(calls) == 1
    assert signal.getsignal(signal.SIGTERM) == before  # the worker's handler is gone again
    assert len(list(folder.glob("*.eml"))) == 1


def test_the_loop_survives_a_failed_pass(
    runner: FlaskCliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue(1)
    real = mail_cli.send_pending
    calls: list[int] = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database is restarting")
        try:
            return real(**kwargs)
        finally:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(mail_cli, "send_pending", flaky)
    result = runner.invoke(args=["mail", "send", "--loop", "--interval", "0.01"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == ["Sent 1, will retry 0, failed 0", "Stopped."]
    assert len(calls) == 2


def test_mail_send_keeps_going_until_nothing_is_due(runner: FlaskCliRunner, folder: Path) -> None:
    for n in range(mail_cli.PASS_LIMIT + 5):
        queue(n)
    result = runner.invoke(args=["mail", "send"])
    assert result.output == f"Sent {mail_cli.PASS_LIMIT + 5}, will retry 0, failed 0\n"


def test_an_outage_is_reported_when_it_starts_and_when_it_ends(
    runner: FlaskCliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = "Mail server unavailable: SMTP server smtp.example.org:25: Connection refused"
    passes = iter(
        [
            SendReport(retried=1, unavailable=down),
            SendReport(retried=1, unavailable=down),
            SendReport(),
            SendReport(sent=2),
        ]
    )

    def scripted(**kwargs: Any) -> SendReport:
        report = next(passes)
        if report.sent:
            signal.raise_signal(signal.SIGTERM)
        return report

    monkeypatch.setattr(mail_cli, "send_pending", scripted)
    result = runner.invoke(args=["mail", "send", "--loop", "--interval", "0.001"])
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == [
        "Sent 0, will retry 1, failed 0",
        f"{down}. Mail waits until it can be sent.",
        "Sent 0, will retry 1, failed 0",
        "Sent 2, will retry 0, failed 0",
        "The mail server can be reached again.",
        "Stopped.",
    ]


def test_mail_send_says_when_the_server_cannot_be_reached(
    runner: FlaskCliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = "Mail server unavailable: SMTP server smtp.example.org:25: Connection refused"
    monkeypatch.setattr(
        mail_cli, "send_pending", lambda **kwargs: SendReport(retried=1, unavailable=down)
    )
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0  # mail waits; nothing is lost
    assert result.output == f"Stopped early. {down}\nSent 0, will retry 1, failed 0\n"
