"""Finding entries in the audit log (read only: entries are never changed or deleted)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import InstrumentedAttribute

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.web.dates import LONDON


@dataclass
class AuditFilters:
    #: Who did it: the ids of the people whose entries to show (a query the caller builds, so
    #: that the audit log knows no feature's tables).
    actors: Select[int] | None = None
    object_type: str = ""
    action: str = ""
    date_from: date | None = None  # London dates, both days included
    date_to: date | None = None


def london_day_start(day: date) -> datetime:
    """The UTC instant at which `day` begins in England."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def entries_query(filters: AuditFilters) -> Select[AuditEntry]:
    """The entries that match, newest first."""
    query = select(AuditEntry)
    if filters.actors is not None:
        query = query.where(AuditEntry.actor_id.in_(filters.actors))
    if filters.object_type:
        query = query.where(AuditEntry.object_type == filters.object_type)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.date_from is not None:
        query = query.where(AuditEntry.at >= london_day_start(filters.date_from))
    # The last day a date can hold (31 December 9999) has no day after it: no bound is needed.
    if filters.date_to is not None and filters.date_to < date.max:
        query = query.where(AuditEntry.at < london_day_start(filters.date_to + timedelta(days=1)))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _distinct(column: InstrumentedAttribute[str]) -> list[str]:
    """The different values of an indexed column, in order, in as many index lookups as there
    are values (a loose index scan): the log's few kinds and actions are found as quickly among
    200,000 entries as among 200, where DISTINCT would read every entry."""
    name = column.key
    found = text(
        f"WITH RECURSIVE seen(value) AS ("
        f" SELECT min({name}) FROM audit_entries"
        f" UNION ALL"
        f" SELECT (SELECT min({name}) FROM audit_entries WHERE {name} > seen.value)"
        f" FROM seen WHERE seen.value IS NOT NULL"
        f") SELECT value FROM seen WHERE value IS NOT NULL"
    )
    return list(db.session.scalars(found))


def object_types() -> list[str]:
    """The kinds of object the log has entries for."""
    return _distinct(AuditEntry.object_type)


def actions() -> list[str]:
    """The actions the log has entries for."""
    return _distinct(AuditEntry.action)


def as_json(state: dict[str, Any] | None) -> str:
    """A before or after state as compact JSON ("" when there is none)."""
    if state is None:
        return ""
    return json.dumps(state, sort_keys=True, ensure_ascii=False, default=str)
