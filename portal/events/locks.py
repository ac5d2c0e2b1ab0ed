"""The lock that orders every decision about one event."""

from __future__ import annotations

from sqlalchemy import select

from portal.events.models import NetworkEvent
from portal.extensions import db


def lock_event(event: NetworkEvent) -> None:
    """Hold the event's row until the transaction ends, then read it afresh: decisions about one
    event (its places, its state, its sequence) are made one at a time, each on what the one
    before saved. On SQLite the write transaction already holds the database's write lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(NetworkEvent.id).where(NetworkEvent.id == event.id).with_for_update()
        )
    db.session.refresh(event)
