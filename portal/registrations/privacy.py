"""Attendees' personal data is kept only as long as needed (DESIGN.md, "Rules that must hold")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.audit.service import record
from portal.auth.models import User
from portal.database import write_transaction
from portal.events.models import NetworkEvent
from portal.extensions import db, utcnow
from portal.mail.models import OutboxMessage
from portal.mail.service import erase_bodies
from portal.registrations.models import Registration
from portal.registrations.service import withdraw
from portal.web.dates import today_in_london

ERASED_NAME = "Erased"


@dataclass
class PurgeReport:
    registrations: int = 0
    needs: int = 0
    messages: int = 0
    files: int = 0

    def __str__(self) -> str:
        return (
            f"Erased {self.registrations} attendee record(s), the access and dietary needs of "
            f"{self.needs} more, {self.messages} stored message(s) and {self.files} .eml file(s)."
        )


def _erase(registration: Registration, now: datetime) -> None:
    """Remove the person, keep what is needed for counts: trust, job role, state, attendance."""
    registration.attendee_name = ERASED_NAME
    # Unique per event among active bookings, so the placeholder carries the id.
    registration.attendee_email = f"erased-{registration.id}"
    registration.access_needs = ""
    registration.dietary_needs = ""
    registration.self_service_key = ""
    registration.erased_at = now
    registration.needs_erased_at = registration.needs_erased_at or now
    registration.updated_at = now


def _erase_messages(registration_ids: list[int], report: PurgeReport) -> None:
    if not registration_ids:
        return
    message_ids = list(
        db.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.related_type == "registration",
                OutboxMessage.related_id.in_(registration_ids),
            )
        )
    )
    report.messages += erase_bodies(related_type="registration", related_ids=registration_ids)
    report.files += _delete_stored_files(message_ids)


def _delete_stored_files(message_ids: list[int]) -> int:
    """Copies written as .eml files (MAIL_FOLDER, or instance/mail in development)."""
    folder = current_app.config.get("MAIL_FOLDER") or str(Path(current_app.instance_path) / "mail")
    path = Path(folder)
    if not message_ids or not path.is_dir():
        return 0
    wanted = {str(i) for i in message_ids}
    deleted = 0
    for file in path.glob("*.eml"):
        if file.stem.rsplit("-", 1)[-1] in wanted:
            file.unlink(missing_ok=True)
            deleted += 1
    return deleted


def purge(now: datetime | None = None) -> PurgeReport:
    """Erase attendees' details PURGE_AFTER_DAYS after their event, and their access and dietary
    needs PURGE_NEEDS_AFTER_DAYS after it; the caller commits."""
    now = now or utcnow()
    today = today_in_london(now)
    report = PurgeReport()
    people_before = today - timedelta(days=int(current_app.config["PURGE_AFTER_DAYS"]))
    needs_before = today - timedelta(days=int(current_app.config["PURGE_NEEDS_AFTER_DAYS"]))

    old = list(
        db.session.scalars(
            select(Registration)
            .join(Registration.event)
            .where(NetworkEvent.event_date < people_before, Registration.erased_at.is_(None))
        )
    )
    for registration in old:
        _erase(registration, now)
    report.registrations = len(old)
    _erase_messages([r.id for r in old], report)

    needs = list(
        db.session.scalars(
            select(Registration)
            .join(Registration.event)
            .where(
                NetworkEvent.event_date < needs_before,
                Registration.needs_erased_at.is_(None),
            )
        )
    )
    for registration in needs:
        registration.access_needs = ""
        registration.dietary_needs = ""
        registration.needs_erased_at = now
    report.needs = len(needs)
    if report.registrations or report.needs:
        record(
            "privacy.purged",
            "registration",
            "*",
            actor=None,
            after={
                "registrations": report.registrations,
                "needs": report.needs,
                "messages": report.messages,
            },
        )
    return report


def erase_person(email: str, *, actor: User | None, now: datetime | None = None) -> PurgeReport:
    """Erase every registration of one e-mail address (a request from the person). Active
    bookings end first, each in its own transaction, so that their places go to the waiting
    list; the erasure is one transaction after them."""
    address = email.strip().lower()
    report = PurgeReport()
    registrations = list(
        db.session.scalars(select(Registration).where(Registration.attendee_email == address))
    )
    for registration in registrations:
        if registration.is_active:
            withdraw(registration, by="attendee", actor=actor, now=now)
    with write_transaction():
        erased_at = now or utcnow()  # read with the lock held, as each withdrawal's time was
        registrations = list(
            db.session.scalars(select(Registration).where(Registration.attendee_email == address))
        )
        for registration in registrations:
            _erase(registration, erased_at)
        report.registrations = len(registrations)
        _erase_messages([r.id for r in registrations], report)
        if registrations:
            record(
                "privacy.person_erased",
                "registration",
                ",".join(str(r.id) for r in registrations)[:64],
                actor=actor,
                after={"registrations": len(registrations)},
            )
        db.session.commit()
    return report
