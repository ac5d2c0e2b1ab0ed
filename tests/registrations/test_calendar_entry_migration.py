"""Migration 0013: bookings made before it keep the calendar entry their invitations created (the
event's UID), and their next message carries a SEQUENCE above every one they were sent."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from icalendar import Calendar

from portal.auth.service import find_by_email
from portal.events.service import update_event
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.regions.service import seed_regions
from portal.registrations.models import Registration
from portal.registrations.service import withdraw
from tests.conftest import make_app
from tests.events.helpers import event_values
from tests.factories import open_event, trust_staff
from tests.registrations.helpers import book


def test_a_booking_made_before_the_migration_continues_the_entry_it_has(
    scratch_database: str, tmp_path: Path
) -> None:
    app = make_app(scratch_database, tmp_path)
    try:
        with app.app_context():
            upgrade()
            seed_regions()
            db.session.commit()
            event = open_event(capacity=5)
            staff = trust_staff()
            (registration,) = (o.registration for o in book(event, staff, 1))
            # Two changes that calendars see raise the event's SEQUENCE.
            owner = find_by_email("coordinator.london@nhs.example")
            assert owner is not None
            update_event(event, event_values(title="Changed once", capacity=5), actor=owner)
            update_event(event, event_values(title="Changed twice", capacity=5), actor=owner)
            event_uid, sequence = event.uid, event.sequence
            assert sequence >= 2
            registration_id = registration.id
            db.session.remove()

            # As before 0013: the columns are gone; then the migration runs on this data.
            downgrade(revision="0012")
            upgrade()

            with db.engine.connect() as connection:
                row = connection.execute(
                    sa.text(
                        "SELECT calendar_uid, calendar_sequence FROM registrations WHERE id = :id"
                    ),
                    {"id": registration_id},
                ).one()
            assert (row.calendar_uid, row.calendar_sequence) == (event_uid, sequence + 1)

            withdraw(db.session.get(Registration, registration_id), by="attendee")
            cancel = db.session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.calendar_method == "CANCEL")
                .order_by(OutboxMessage.id.desc())
            ).first()
            assert cancel is not None
            (vevent,) = Calendar.from_ical(cancel.calendar).walk("VEVENT")
            assert str(vevent["uid"]) == event_uid
            assert int(vevent["sequence"]) == sequence + 1 > sequence
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
