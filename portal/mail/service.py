"""The outbox's rules: queue with the change, claim safely, send, retry with backoff, give up.

Messages are rows written in the caller's transaction, so an e-mail exists exactly when the change
that causes it was committed. A worker (`flask --app app mail send`) claims one due message at a
time in a short transaction — `FOR UPDATE SKIP LOCKED` on PostgreSQL, the database write lock on
SQLite — with a lease (`claimed_until`), sends it outside any transaction, then records the
result. Several workers never send the same row at once; a worker that crashes mid-send leaves a
lease that runs out, and the message is sent again (at least once, never lost).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses, parseaddr
from html import escape
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from portal.audit.service import record
from portal.database import Page, TryAgain, paginate, rows_matched, write_transaction
from portal.extensions import db, utcnow
from portal.mail.messages import Envelope, build_email
from portal.mail.models import MailStatus, OutboxMessage
from portal.mail.transports import (
    Transport,
    TransportUnavailable,
    configured_transport,
    describe_error,
)

if TYPE_CHECKING:
    from portal.auth.models import User

log = logging.getLogger("portal.mail")

#: How long a worker holds a claimed message before another may take it over. Far longer than
#: one SMTP conversation (SMTP_TIMEOUT_SECONDS per step), so only a crashed worker loses a claim.
CLAIM_LEASE = timedelta(minutes=10)
#: The longest wait between two attempts: after an outage ends, every message goes within this.
MAX_RETRY_DELAY = timedelta(minutes=30)
CALENDAR_METHODS = ("REQUEST", "CANCEL")
_METHOD_LINE = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)
ERASED_BEFORE_SENDING = "Erased before it was sent."


class MailError(ValueError):
    """A change to the outbox that the rules do not allow; the message is for the person."""


@dataclass
class SendReport:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: Why the pass stopped before it ran out of due messages: the mail server was unreachable.
    unavailable: str | None = None

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed

    def __str__(self) -> str:
        return f"Sent {self.sent}, will retry {self.retried}, failed {self.failed}"


def organizer_address() -> str:
    """The monitored programme mailbox: Reply-To of every message, ORGANIZER of invitations."""
    return parseaddr(current_app.config["MAIL_ORGANIZER"])[1]


def paragraphs_as_html(paragraphs: list[str]) -> str:
    """A plain HTML version of the text: paragraphs, with web addresses as links."""
    out = []
    for paragraph in paragraphs:
        lines = []
        for line in paragraph.split("\n"):
            safe = escape(line)
            for word in line.split():
                if word.startswith("https://") or word.startswith("http://"):
                    safe = safe.replace(
                        escape(word), f'<a href="{escape(word)}">{escape(word)}</a>'
                    )
            lines.append(safe)
        out.append("<p>" + "<br>".join(lines) + "</p>")
    return (
        '<!DOCTYPE html><html lang="en"><body style="font-family: Arial, sans-serif">'
        + "".join(out)
        + "</body></html>"
    )


# --- Queueing -----------------------------------------------------------------------------


def queue_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    calendar: bytes | None = None,
    calendar_method: str | None = None,
    kind: str,
    related_type: str | None = None,
    related_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the current transaction (the caller commits with its change).

    `to` is one address ("name@example.org" or "Name <name@example.org>"); `calendar` an
    iCalendar invitation whose METHOD line equals `calendar_method` (REQUEST or CANCEL).
    """
    if "\r" in to or "\n" in to or len(getaddresses([to])) != 1 or "@" not in parseaddr(to)[1]:
        raise ValueError(f"queue_message needs exactly one e-mail address, not {to!r}")
    if calendar is not None:
        if calendar_method not in CALENDAR_METHODS:
            raise ValueError(f"calendar_method must be one of {CALENDAR_METHODS}")
        inside = _METHOD_LINE.search(calendar)
        if inside is None or inside.group(1).decode().upper() != calendar_method:
            raise ValueError(f"the calendar's METHOD line must say {calendar_method}")
        calendar.decode("utf-8")  # a calendar that is not UTF-8 would fail only when sent
    elif calendar_method is not None:
        raise ValueError("calendar_method without a calendar")
    now = utcnow()
    message = OutboxMessage(
        kind=kind,
        to_address=to.strip(),
        subject=" ".join(subject.split()),  # one line, whatever the caller joined together
        text_body=text,
        html_body=html,
        calendar=calendar,
        calendar_method=calendar_method,
        related_type=related_type,
        related_id=related_id,
        status=MailStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


# --- Sending ------------------------------------------------------------------------------


def retry_delay(attempts: int, base_seconds: int) -> timedelta:
    """The wait after the n-th failed attempt: base, 2×base, 4×base … up to MAX_RETRY_DELAY."""
    doubling = min(max(attempts - 1, 0), 20)
    return min(
        timedelta(seconds=base_seconds * 2**doubling),
        max(MAX_RETRY_DELAY, timedelta(seconds=base_seconds)),
    )


def send_pending(
    *,
    now: datetime | None = None,
    transport: Transport | None = None,
    limit: int = 50,
) -> SendReport:
    """Send up to `limit` due messages, one claim at a time; record each as sent, to be retried
    or failed. Stops early when the mail server cannot be reached (the message it was trying
    waits for a retry; the others keep their turn). `now` fixes the clock (tests)."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    config = current_app.config
    if transport is None:
        transport = configured_transport(config, current_app.instance_path)
    report = SendReport()
    try:
        for _ in range(limit):
            claim = _claim_next(clock(), int(config["MAIL_MAX_ATTEMPTS"]))
            if claim is None:
                break
            if isinstance(claim, _GaveUp):
                report.failed += 1
                continue
            outcome = _send_one(claim, transport, clock())
            status = _record(claim, outcome, clock())
            if status is MailStatus.SENT:
                report.sent += 1
            elif status is MailStatus.FAILED:
                report.failed += 1
            elif status is MailStatus.PENDING:
                report.retried += 1
            if outcome.unavailable:
                report.unavailable = outcome.error
                break
    finally:
        transport.close()
    return report


@dataclass(frozen=True)
class _Claim:
    envelope: Envelope
    token: str


@dataclass(frozen=True)
class _GaveUp:
    message_id: int


@dataclass(frozen=True)
class _Outcome:
    error: str | None = None
    #: The message itself cannot be sent (it could not be built): no point retrying.
    permanent: bool = False
    #: The server could not be reached: a delay, never a reason to give the message up.
    unavailable: bool = False


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutboxMessage.status == MailStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        OutboxMessage.erased_at.is_(None),
    )


def _claim_next(now: datetime, max_attempts: int) -> _Claim | _GaveUp | None:
    """Claim the oldest due message for this worker, in a transaction of its own."""
    with write_transaction():
        # SKIP LOCKED: workers claiming at the same moment each take a different row instead of
        # queueing behind one another (PostgreSQL; SQLite renders no FOR UPDATE, and there the
        # write lock taken at BEGIN IMMEDIATE lets one worker claim at a time).
        message = db.session.scalars(
            select(OutboxMessage)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if message is None:
            db.session.commit()
            return None
        if message.claimed_until is not None and message.attempts >= max_attempts:
            # The last claim ran out: its worker stopped while sending, and so did the ones
            # before (a message that crashes the worker must not be tried for ever).
            message.status = MailStatus.FAILED
            message.claimed_until = message.claim_token = None
            message.last_error = (
                f"Gave up after {message.attempts} attempts: the worker sending it stopped "
                "before it finished."
            )
            message_id = message.id
            db.session.commit()
            log.warning("mail: gave up on outbox message %s (its worker kept stopping)", message_id)
            return _GaveUp(message_id)
        token = secrets.token_hex(16)
        message.attempts += 1
        message.claimed_until = now + CLAIM_LEASE
        message.claim_token = token
        envelope = Envelope(
            id=message.id,
            to_address=message.to_address,
            subject=message.subject,
            text_body=message.text_body,
            html_body=message.html_body,
            calendar=message.calendar,
            calendar_method=message.calendar_method,
            created_at=message.created_at,
        )
        db.session.commit()
    return _Claim(envelope, token)


def _send_one(claim: _Claim, transport: Transport, now: datetime) -> _Outcome:
    config = current_app.config
    outbox_id, recipient = claim.envelope.id, claim.envelope.to_address
    try:
        message = build_email(
            claim.envelope, sender=config["MAIL_FROM"], reply_to=organizer_address()
        )
    except (ValueError, TypeError, LookupError) as exc:
        error = _scrub(f"Could not build the message: {exc}", recipient)
        log.error("mail: outbox message %s: %s", outbox_id, error)
        return _Outcome(error, permanent=True)
    try:
        transport.send(message, outbox_id=outbox_id, now=now)
    except TransportUnavailable as exc:
        # The worker's command line reports outages; here they are only worth a debug line.
        log.info("mail: outbox message %s waits: %s", outbox_id, exc)
        return _Outcome(_scrub(f"Mail server unavailable: {exc}", recipient), unavailable=True)
    except Exception as exc:
        error = _scrub(describe_error(exc), recipient)
        log.warning("mail: outbox message %s not sent: %s", outbox_id, error)
        return _Outcome(error)
    return _Outcome()


def _scrub(error: str, recipient: str) -> str:
    """Keep the recipient's address out of the stored error (it outlives the purge of bodies)."""
    for address in {recipient, parseaddr(recipient)[1]} - {""}:
        error = re.sub(re.escape(address), "the recipient", error, flags=re.IGNORECASE)
    return error[:1000]


def _record(claim: _Claim, outcome: _Outcome, now: datetime) -> MailStatus | None:
    """Write the result, if the claim is still this worker's; the new status, or None."""
    config = current_app.config
    for attempt in range(3):
        try:
            with write_transaction():
                message = db.session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.id == claim.envelope.id,
                        OutboxMessage.claim_token == claim.token,
                    )
                    .with_for_update()
                ).first()
                if message is None:
                    db.session.commit()
                    log.warning(
                        "mail: the claim on outbox message %s ran out before its result was "
                        "recorded; another worker has it",
                        claim.envelope.id,
                    )
                    return None
                message.claimed_until = message.claim_token = None
                if outcome.error is None:
                    message.status = MailStatus.SENT
                    message.sent_at = now
                    message.last_error = None
                elif (
                    outcome.permanent
                    or message.erased_at is not None
                    or (
                        not outcome.unavailable
                        and message.attempts >= int(config["MAIL_MAX_ATTEMPTS"])
                    )
                ):
                    message.status = MailStatus.FAILED
                    message.last_error = (
                        ERASED_BEFORE_SENDING if message.erased_at is not None else outcome.error
                    )
                else:
                    message.status = MailStatus.PENDING
                    message.last_error = outcome.error
                    message.next_attempt_at = now + retry_delay(
                        message.attempts, int(config["MAIL_RETRY_BASE_SECONDS"])
                    )
                status = message.status
                db.session.commit()
                return status
        except TryAgain:
            if attempt == 2:
                raise
    return None


# --- The programme team's view --------------------------------------------------------------


def outbox_counts() -> dict[MailStatus, int]:
    """How many messages are waiting, sent and failed."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(MailStatus, 0)
    counts.update({MailStatus(status): count for status, count in rows})
    return counts


def failed_messages(page: int, page_size: int) -> Page[OutboxMessage]:
    """One page of failed messages, the latest first, with how many have failed in all."""
    return paginate(
        select(OutboxMessage)
        .where(OutboxMessage.status == MailStatus.FAILED)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()),
        page,
        page_size,
    )


def retry_failed(
    message_id: int, *, actor: User | None, now: datetime | None = None
) -> OutboxMessage:
    """Put a failed message back in the queue with a fresh set of attempts (audited).

    Raises LookupError for no such message, MailError when it is not failed or was erased.
    """
    now = now or utcnow()
    with write_transaction():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
        ).first()
        if message is None:
            db.session.commit()
            raise LookupError(message_id)
        if message.erased_at is not None:
            db.session.commit()
            raise MailError(
                "That message was erased with the attendee's details: it cannot be sent."
            )
        if message.status is not MailStatus.FAILED:
            db.session.commit()
            raise MailError("That message is no longer failed: it is already queued or sent.")
        record(
            "mail.retried",
            "outbox_message",
            message.id,
            actor=actor,
            before={"status": MailStatus.FAILED.value, "attempts": message.attempts},
            after={"status": MailStatus.PENDING.value, "attempts": 0},
        )
        message.status = MailStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = now
        message.claimed_until = message.claim_token = None
        db.session.commit()
    return message


# --- Privacy ------------------------------------------------------------------------------


def erase_bodies(
    message_ids: Iterable[int] | None = None,
    *,
    related_type: str | None = None,
    related_ids: Iterable[int] = (),
) -> int:
    """Blank the recipient, subject, bodies and invitation of the matching messages, in the
    current transaction (the caller commits). Kind, status and dates stay, for counts; a message
    still waiting is never sent and becomes failed. Returns how many messages were erased now.

    Matches the messages with the given ids and those about `related_type` with `related_ids`.
    """
    if message_ids is None and related_type is None:
        raise ValueError("erase_bodies needs message ids or a related type and ids")
    now = utcnow()
    erased = 0
    for matching in _matching(message_ids, related_type, related_ids):
        result = db.session.execute(
            update(OutboxMessage)
            .where(matching, OutboxMessage.erased_at.is_(None))
            .values(
                to_address="",
                subject="",
                text_body="",
                html_body=None,
                calendar=None,
                erased_at=now,
                status=case(
                    (OutboxMessage.status == MailStatus.PENDING, MailStatus.FAILED.value),
                    else_=OutboxMessage.status,
                ),
                last_error=case(
                    (OutboxMessage.status == MailStatus.PENDING, ERASED_BEFORE_SENDING),
                    else_=OutboxMessage.last_error,
                ),
            )
            .execution_options(synchronize_session="fetch")
        )
        erased += rows_matched(result)
    return erased


def _matching(
    message_ids: Iterable[int] | None, related_type: str | None, related_ids: Iterable[int]
) -> Iterator[ColumnElement[bool]]:
    """WHERE clauses in chunks, so that long lists stay within the databases' parameter limits."""
    for chunk in _chunks(message_ids or ()):
        yield OutboxMessage.id.in_(chunk)
    if related_type is not None:
        for chunk in _chunks(related_ids):
            yield and_(
                OutboxMessage.related_type == related_type, OutboxMessage.related_id.in_(chunk)
            )


def _chunks(values: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    chunk: list[int] = []
    for value in values:
        chunk.append(int(value))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
