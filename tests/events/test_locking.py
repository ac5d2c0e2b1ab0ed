"""Changes to an event wait for a decision about it that is in progress, and then build on it.

Another transaction (a booking, say, or another coordinator's edit) holds the event and raises its
sequence; while it is open, a coordinator edits, publishes or cancels the event. Each must wait
for it and read what it saved: on PostgreSQL by locking the event's row before reading it (an
UPDATE alone would wait too, but write values read before the wait, undoing the other change);
on SQLite by the database's write lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from portal.auth.models import Role, User
from portal.auth.service import create_user
from portal.events.models import EventState, NetworkEvent
from portal.events.service import cancel_event, publish_event, update_event
from portal.extensions import db
from tests.conftest import make_app, reset_database
from tests.factories import PASSWORD, make_event, region

HELD_SECONDS = 0.5


@pytest.fixture
def app_on_scratch(scratch_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(scratch_database, tmp_path)
    reset_database(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


RAISE_SEQUENCE = "UPDATE network_events SET sequence = sequence + 1 WHERE id = :id"
#: Another coordinator publishing the event at the same moment (at a time no clock would give).
PUBLISH = "UPDATE network_events SET state = 'published', published_at = '2001-02-03 04:05:06' WHERE id = :id"


def _hold_and_change(
    database_url: str, event_id: int, statement: str, held: threading.Event
) -> None:
    """Another transaction: lock the event, change it, commit after HELD_SECONDS."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(statement.replace(":id", "?"), (event_id,))
        held.set()
        time.sleep(HELD_SECONDS)
        connection.execute("COMMIT")
        connection.close()
        return
    engine = create_engine(database_url)
    with engine.connect() as connection:
        connection.execute(
            text("SELECT id FROM network_events WHERE id = :id FOR UPDATE"), {"id": event_id}
        )
        connection.execute(text(statement), {"id": event_id})
        held.set()
        time.sleep(HELD_SECONDS)
        connection.commit()
    engine.dispose()


def _while_another_transaction_holds_the_event(
    app: Flask,
    *,
    publish: bool,
    change: Callable[[NetworkEvent, User], object],
    other_change: str = RAISE_SEQUENCE,
) -> tuple[int, NetworkEvent]:
    """The event's sequence before, and the event after both `other_change` and `change`."""
    with app.app_context():
        coordinator = create_user(
            "coordinator@nhs.example", Role.COORDINATOR, password=PASSWORD, region=region()
        )
        event = make_event(coordinator, publish=publish)
        event_id, before = event.id, event.sequence
        db.session.remove()
    held = threading.Event()
    other = threading.Thread(
        target=_hold_and_change,
        args=(app.config["SQLALCHEMY_DATABASE_URI"], event_id, other_change, held),
    )
    other.start()
    assert held.wait(30)
    with app.app_context():
        event = db.session.get(NetworkEvent, event_id)
        coordinator = db.session.scalars(select(User).filter_by(role=Role.COORDINATOR)).one()
        assert event is not None
        change(event, coordinator)
        db.session.remove()
    other.join(30)
    with app.app_context():
        after = db.session.get(NetworkEvent, event_id)
        assert after is not None
        db.session.expunge(after)
        db.session.remove()
    return before, after


def test_an_edit_waits_for_the_event_and_keeps_the_other_change(app_on_scratch: Flask) -> None:
    before, after = _while_another_transaction_holds_the_event(
        app_on_scratch,
        publish=True,
        change=lambda event, actor: update_event(
            event, {"start_time": clock_time(10, 15)}, actor=actor
        ),
    )
    assert after.sequence == before + 2  # the other transaction's raise, then the edit's
    assert after.start_time == clock_time(10, 15)


def test_cancelling_waits_for_the_event_and_keeps_the_other_change(
    app_on_scratch: Flask,
) -> None:
    before, after = _while_another_transaction_holds_the_event(
        app_on_scratch,
        publish=True,
        change=lambda event, actor: cancel_event(event, "The venue is closed", actor=actor),
    )
    assert after.sequence == before + 2
    assert after.state is EventState.CANCELLED


def test_publishing_at_the_same_moment_as_someone_else_publishes_once(
    app_on_scratch: Flask,
) -> None:
    _, after = _while_another_transaction_holds_the_event(
        app_on_scratch,
        publish=False,
        change=lambda event, actor: publish_event(event, actor=actor),
        other_change=PUBLISH,
    )
    assert after.state is EventState.PUBLISHED
    # Seen as published already: the other publication stands, not written over.
    assert after.published_at == datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
