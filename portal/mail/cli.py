"""flask --app app mail send [--loop]"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from portal.database import TryAgain, write_transaction
from portal.extensions import db
from portal.mail.service import SendReport, send_pending
from portal.mail.signals import before_each_pass
from portal.mail.transports import MailConfigError, Transport, configured_transport

log = logging.getLogger("portal.mail")

#: Messages in one pass of the worker; after a full pass the loop goes on without waiting.
PASS_LIMIT = 50

mail_cli = AppGroup("mail", help="Send the e-mail waiting in the outbox.")


@mail_cli.command("send")
@click.option(
    "--loop",
    is_flag=True,
    help="Keep running: send what is due, wait, repeat, until stopped (SIGTERM or Ctrl+C).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    default=10,
    show_default=True,
    metavar="SECONDS",
    help="With --loop: how long to wait when nothing more is due.",
)
def send_command(loop: bool, interval: float) -> None:
    """Send the messages that are due, then exit (or, with --loop, keep going).

    Messages go over SMTP (SMTP_HOST), or into MAIL_FOLDER as .eml files; in development without
    SMTP_HOST, into instance/mail. Failures are retried with a growing wait; after
    MAIL_MAX_ATTEMPTS a message is marked failed and shown to admins at /admin/mail.
    Several workers may run at once: each message is claimed by one of them. Each pass first
    queues the event reminders due today (REMINDER_DAYS before an event, confirmed attendees).
    """
    try:
        transport = configured_transport(current_app.config, current_app.instance_path)
    except MailConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not loop:
        report = _send_due(transport)
        if report.unavailable:
            click.echo(f"Stopped early. {report.unavailable}", err=True)
        click.echo(str(report))
        return

    click.echo(
        f"Sending e-mail through {transport!r} every {interval:g} seconds; stop with Ctrl+C."
    )
    outage: str | None = None
    with _stop_on_signals() as stop:
        while not stop.is_set():
            try:
                _queue_scheduled()
                report = send_pending(transport=transport, limit=PASS_LIMIT)
            except Exception:
                # A database that is restarting, say: keep the worker alive and try again.
                log.exception("mail: a pass of the worker failed")
                db.session.remove()
                stop.wait(interval)
                continue
            db.session.remove()
            if report.handled:
                click.echo(str(report))
            # An outage is reported when it starts and when it ends, not on every pass.
            if report.unavailable and outage is None:
                click.echo(f"{report.unavailable}. Mail waits until it can be sent.", err=True)
            elif outage is not None and not report.unavailable and report.handled:
                click.echo("The mail server can be reached again.", err=True)
            if report.unavailable or report.handled:
                outage = report.unavailable
            # A full pass means more may be due right away; otherwise wait.
            if report.handled < PASS_LIMIT or report.unavailable:
                stop.wait(interval)
    click.echo("Stopped.")


def _queue_scheduled() -> None:
    """Messages that features queue on a schedule (reminders before events) join the outbox
    first, so that one worker does both jobs (see portal/mail/signals.py)."""
    try:
        with write_transaction():
            answers = before_each_pass.send(current_app._get_current_object())  # type: ignore[attr-defined]  # Flask types the proxy as the app
            queued = sum(count or 0 for _, count in answers)
            db.session.commit()
    except TryAgain:
        log.warning("scheduled messages skipped this pass: the database was busy")
        return
    if queued:
        log.info("queued %d scheduled message(s)", queued)


def _send_due(transport: Transport) -> SendReport:
    """Passes until nothing more is due (or the mail server cannot be reached)."""
    _queue_scheduled()
    total = SendReport()
    while True:
        report = send_pending(transport=transport, limit=PASS_LIMIT)
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        if report.unavailable or report.handled < PASS_LIMIT:
            total.unavailable = report.unavailable
            return total


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT: the message being sent finishes, then the loop ends."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
