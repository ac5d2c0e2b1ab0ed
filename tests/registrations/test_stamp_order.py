"""The times that order the waiting list are read while the event's lock is held.

A booking stamped before it takes the lock can wait for the lock behind a later booking and then
be written with the earlier time: the waiting list (ordered by `waitlisted_at`) would no longer be
in the order in which bookings were decided. These tests record, without sleeping, when the lock
is taken and when the clock is read, and require every read of the clock to come after the lock.

On SQLite the write lock is taken when the write transaction begins (BEGIN IMMEDIATE); on
PostgreSQL when `_lock_event` locks the event's row (SELECT … FOR UPDATE). The tests count the
lock as taken only after `_lock_event`, the later of the two, so they hold on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event as sa_event

from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.registrations import privacy, service
from portal.registrations.models import Registration
from tests.conftest import make_app, reset_database
from tests.factories import open_event, trust_staff
from tests.registrations.helpers import book, person


class Timeline(list[str]):
    """What happened, in order: "begin", "lock", "clock", "end"."""

    def clock_reads_without_the_lock(self) -> list[int]:
        """Positions of clock reads made outside a write transaction or before its lock."""
        locked = False
        wrong = []
        for position, what in enumerate(self):
            if what in ("begin", "end"):
                locked = False
            elif what == "lock":
                locked = True
            elif what == "clock" and not locked:
                wrong.append(position)
        return wrong


@pytest.fixture
def timeline(monkeypatch: pytest.MonkeyPatch) -> Timeline:
    """Record the service's write transactions, event locks and clock reads."""
    seen = Timeline()
    real_transaction = service.write_transaction
    real_lock_event = service._lock_event

    @contextmanager
    def write_transaction() -> Iterator[None]:
        with real_transaction():
            seen.append("begin")
            try:
                yield
            finally:
                seen.append("end")

    def lock_event(event: Any) -> None:
        real_lock_event(event)
        seen.append("lock")

    def clock() -> datetime:
        seen.append("clock")
        return utcnow()

    monkeypatch.setattr(service, "write_transaction", write_transaction)
    monkeypatch.setattr(service, "_lock_event", lock_event)
    monkeypatch.setattr(service, "utcnow", clock)
    return seen


def _coordinator_of(event: Any) -> User:
    coordinator = db.session.get(User, event.created_by_id)
    assert coordinator is not None
    return coordinator


def test_a_booking_reads_the_clock_after_taking_the_lock(app: Flask, timeline: Timeline) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    timeline.clear()
    outcomes = book(event, staff, 1, 2)
    assert [o.message for o in outcomes] == ["Confirmed", "On the waiting list: the event is full"]
    assert "clock" in timeline
    assert timeline.clock_reads_without_the_lock() == [], timeline
    assert timeline.index("lock") < timeline.index("clock")


@pytest.mark.parametrize("how", ["withdraw", "remove"])
def test_ending_a_booking_and_promoting_reads_the_clock_after_taking_the_lock(
    app: Flask, timeline: Timeline, how: str
) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    first, second = (o.registration for o in book(event, staff, 1, 2))
    timeline.clear()
    if how == "withdraw":
        promoted = service.withdraw(first, by="attendee")
    else:
        promoted = service.remove(first, actor=_coordinator_of(event))
    assert promoted == [second]
    assert "clock" in timeline
    assert timeline.clock_reads_without_the_lock() == [], timeline


def test_check_in_reads_the_clock_inside_its_transaction(app: Flask, timeline: Timeline) -> None:
    event = open_event(capacity=1)
    staff = trust_staff()
    (confirmed,) = (o.registration for o in book(event, staff, 1))
    timeline.clear()
    service.set_attended(confirmed, True, actor=_coordinator_of(event))
    assert timeline == ["begin", "clock", "end"]


def test_erasing_a_person_reads_every_clock_inside_the_transaction_that_uses_it(
    app: Flask, timeline: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Their bookings end first (each under the event's lock), then one transaction erases them:
    its time is read inside it, after the withdrawals, never before them."""
    event = open_event(capacity=1)
    staff = trust_staff()
    first, second = (o.registration for o in book(event, staff, 1, 2))
    real_transaction = privacy.write_transaction

    @contextmanager
    def erasing_transaction() -> Iterator[None]:
        with real_transaction():  # the write lock is taken as it begins
            timeline.extend(["begin", "lock"])
            try:
                yield
            finally:
                timeline.append("end")

    monkeypatch.setattr(privacy, "write_transaction", erasing_transaction)
    monkeypatch.setattr(privacy, "utcnow", service.utcnow)  # the recording clock
    timeline.clear()
    report = privacy.erase_person(first.attendee_email, actor=None)
    assert report.registrations == 1
    assert timeline.count("begin") == 2 and timeline.count("clock") >= 2, timeline
    assert timeline.clock_reads_without_the_lock() == [], timeline
    db.session.refresh(first)
    db.session.refresh(second)
    assert second.is_confirmed
    assert first.ended_at is not None and first.erased_at is not None
    assert first.erased_at >= first.ended_at


def test_the_waiting_list_is_in_the_order_bookings_were_decided(
    app: Flask, timeline: Timeline
) -> None:
    """Bookings one after another: each stamp is read under the lock, and the waiting list in
    its own order (waitlisted_at, then id) is the order of decision (ids). One thread cannot
    interleave bookings: the lock check is what would catch a stamp read too early."""
    event = open_event(capacity=1)
    staff = trust_staff()
    book(event, staff, 0)
    for n in range(1, 6):
        service.book_places(event, [person(n)], actor=staff)
    waiting = (
        db.session.query(Registration)
        .filter_by(event_id=event.id)
        .order_by(Registration.waitlisted_at, Registration.id)
        .all()
    )
    waiting = [r for r in waiting if r.is_waitlisted]
    assert [r.id for r in waiting] == sorted(r.id for r in waiting)
    assert timeline.clock_reads_without_the_lock() == []


# --- On a real database: the lock is the one the database takes ---------------------------------


def test_on_a_real_database_the_stamp_is_read_after_the_database_lock(
    scratch_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Here each write transaction is a real one (no test savepoints): the lock is the statement
    that takes it, BEGIN IMMEDIATE on SQLite or SELECT … FOR UPDATE on PostgreSQL, seen on the
    wire; a commit or rollback ends it."""
    app = make_app(scratch_database, tmp_path)
    reset_database(app)
    seen = Timeline()

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        text = " ".join(statement.split()).upper()
        if text.startswith("BEGIN IMMEDIATE") or (
            "FOR UPDATE" in text and "NETWORK_EVENTS" in text
        ):
            seen.append("lock")

    def on_end(conn: Any) -> None:
        seen.append("end")

    def clock() -> datetime:
        seen.append("clock")
        return utcnow()

    try:
        with app.app_context():
            event = open_event(capacity=1)
            staff = trust_staff()
            listeners: list[tuple[str, Callable[..., None]]] = [
                ("before_cursor_execute", on_statement),
                ("commit", on_end),
                ("rollback", on_end),
            ]
            for name, listener in listeners:
                sa_event.listen(db.engine, name, listener)
            monkeypatch.setattr(service, "utcnow", clock)
            try:
                first, second = (o.registration for o in book(event, staff, 1, 2))
                assert second.is_waitlisted
                assert service.withdraw(first, by="attendee") == [second]
            finally:
                for name, listener in listeners:
                    sa_event.remove(db.engine, name, listener)
            assert seen.count("clock") == 2, seen
            assert seen.clock_reads_without_the_lock() == [], seen
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
