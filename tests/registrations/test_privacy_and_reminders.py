from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.registrations.links import registration_from_token, self_service_token
from portal.registrations.models import Registration, RegistrationState
from portal.registrations.privacy import erase_person, purge
from portal.registrations.reminders import queue_reminders
from portal.registrations.service import book_places
from portal.web.dates import LONDON, today_in_london
from tests.conftest import make_app, reset_database
from tests.factories import open_event, trust_staff
from tests.registrations.helpers import book, person


def at_london(day, hour: int = 8):  # type: ignore[no-untyped-def]
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def reminders_for(address: str) -> list[str]:
    return [
        m.kind
        for m in db.session.query(OutboxMessage).filter_by(to_address=address)
        if m.kind.startswith("event.reminder")
    ]


def test_reminders_go_7_days_and_1_day_before_to_confirmed_attendees_once(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    book(event, staff, 1, 2)  # 1 confirmed, 2 waiting
    assert queue_reminders(at_london(event.event_date - timedelta(days=8))) == 0
    assert queue_reminders(at_london(event.event_date - timedelta(days=7))) == 1
    assert queue_reminders(at_london(event.event_date - timedelta(days=7), 18)) == 0  # not twice
    assert queue_reminders(at_london(event.event_date - timedelta(days=1))) == 1
    assert reminders_for("attendee1@nhs.example") == ["event.reminder.7", "event.reminder.1"]
    assert reminders_for("attendee2@nhs.example") == []


def test_the_mail_worker_command_queues_the_reminders_due_today_and_sends_them(
    scratch_database: str, tmp_path: Path
) -> None:
    """The command as it runs in production, in a process of its own: the reminders reach it
    only through the app's own wiring, not through anything a test imported."""
    app = make_app(scratch_database, tmp_path / "setup")
    reset_database(app)
    with app.app_context():
        event = open_event(capacity=1, event_date=today_in_london() + timedelta(days=7))
        book(event, trust_staff(), 1)
        db.session.commit()
        db.session.remove()
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database.replace("postgresql+psycopg://", "postgresql://"),
        "MAIL_FOLDER": str(tmp_path / "mail"),
    }
    flask = str(Path(sys.executable).parent / "flask")
    result = subprocess.run(
        [flask, "--app", "app", "mail", "send"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with app.app_context():
        sent = {
            (m.kind, m.status.value)
            for m in db.session.query(OutboxMessage).filter_by(to_address="attendee1@nhs.example")
        }
        db.session.remove()
        db.engine.dispose()
    assert ("event.reminder.7", "sent") in sent, (sent, result.stdout, result.stderr)


def test_no_reminder_for_a_cancelled_event(app: Flask) -> None:
    from portal.auth.models import User
    from portal.events.service import cancel_event

    event = open_event()
    book(event, trust_staff(), 1)
    cancel_event(event, "Snow", actor=db.session.get(User, event.created_by_id))
    assert queue_reminders(at_london(event.event_date - timedelta(days=1))) == 0


def test_purge_erases_people_after_a_year_and_needs_after_30_days_keeping_counts(
    app: Flask,
) -> None:
    event = open_event(capacity=5)
    staff = trust_staff()
    first, second = (
        o.registration
        for o in book_places(
            event, [person(1, dietary_needs="Vegan"), person(2, access_needs="Ramp")], actor=staff
        )
    )
    token = self_service_token(first)
    after_event = event.event_date
    report = purge(at_london(after_event + timedelta(days=31)))
    assert (report.registrations, report.needs) == (0, 2)
    db.session.commit()
    db.session.refresh(first)
    assert first.dietary_needs == "" and first.attendee_name == "Attendee 1"

    report = purge(at_london(after_event + timedelta(days=366)))
    assert report.registrations == 2 and report.messages >= 2
    db.session.commit()
    for registration in (first, second):
        db.session.refresh(registration)
        assert (
            registration.attendee_name == "Erased"
            and "nhs.example" not in registration.attendee_email
        )
        assert (
            registration.state is RegistrationState.CONFIRMED
            and registration.trust_id == staff.trust_id
        )
    assert registration_from_token(token) is None
    leftovers = db.session.query(OutboxMessage).filter_by(related_type="registration").all()
    assert leftovers and all(
        m.to_address == "" and m.text_body == "" and m.calendar is None for m in leftovers
    )
    assert db.session.query(AuditEntry).filter_by(action="privacy.purged").count() == 2


def test_erasing_one_person_withdraws_then_erases_their_bookings(app: Flask) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    first, second = (o.registration for o in book(event, staff, 1, 2))
    report = erase_person("ATTENDEE1@nhs.example", actor=None)
    db.session.commit()
    assert report.registrations == 1
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.attendee_name == "Erased" and first.state is RegistrationState.WITHDRAWN
    assert second.is_confirmed  # the freed place went to the waiting list
    assert not db.session.query(OutboxMessage).filter_by(to_address="attendee1@nhs.example").count()


def test_purge_deletes_the_eml_copies(app: Flask, tmp_path: Path) -> None:
    from portal.mail.service import send_pending
    from portal.mail.transports import FolderTransport

    app.config["MAIL_FOLDER"] = str(tmp_path)
    try:
        event = open_event()
        book(event, trust_staff(), 1)
        transport = FolderTransport(tmp_path)
        transport.prepare()
        send_pending(transport=transport)
        assert list(tmp_path.glob("*.eml"))
        report = erase_person("attendee1@nhs.example", actor=None)
        assert report.files >= 1
        remaining = [f.read_text(errors="ignore") for f in tmp_path.glob("*.eml")]
        assert not any("attendee1@nhs.example" in text for text in remaining)
    finally:
        app.config["MAIL_FOLDER"] = ""


def test_privacy_commands(runner: FlaskCliRunner, app: Flask) -> None:
    assert "Erased 0 attendee record(s)" in runner.invoke(args=["privacy", "purge"]).output
    missing = runner.invoke(args=["privacy", "erase", "nobody@nhs.example"])
    assert missing.exit_code == 1 and "No bookings" in missing.output
    event = open_event()
    book(event, trust_staff(), 1)
    done = runner.invoke(args=["privacy", "erase", "attendee1@nhs.example"])
    assert done.exit_code == 0 and "Erased 1 attendee record(s)" in done.output
    assert (
        db.session.query(Registration).filter_by(attendee_email="attendee1@nhs.example").count()
        == 0
    )
