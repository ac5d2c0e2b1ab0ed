"""Reminders a set number of days before an event, to confirmed attendees only."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, utcnow
from portal.mail.signals import before_each_pass
from portal.registrations import messages
from portal.registrations.models import Registration, RegistrationState
from portal.web.dates import today_in_london


def queue_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due today (London date) and not yet sent; never for a
    cancelled event. Returns how many were queued. Call it inside `write_transaction()`; the
    caller commits."""
    now = now or utcnow()
    today = today_in_london(now)
    queued = 0
    for days in current_app.config["REMINDER_DAYS"]:
        day = today + timedelta(days=days)
        registrations = db.session.scalars(
            select(Registration)
            .join(Registration.event)
            .where(
                NetworkEvent.event_date == day,
                NetworkEvent.state == EventState.PUBLISHED,
                Registration.state == RegistrationState.CONFIRMED,
                Registration.erased_at.is_(None),
            )
            .order_by(Registration.id)
            # Two workers at once: the second waits, then sees what the first marked as sent.
            .with_for_update(of=Registration)
        )
        for registration in registrations:
            sent = {int(d) for d in registration.reminders_sent.split(",") if d}
            if days in sent:
                continue
            messages.reminder(registration, days)
            registration.reminders_sent = ",".join(
                str(d) for d in sorted(sent | {days}, reverse=True)
            )
            queued += 1
    return queued


@before_each_pass.connect
def _queue_with_each_mail_pass(_app: object) -> int:
    return queue_reminders()
