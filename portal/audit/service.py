"""The one way to write an audit record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.audit.models import AuditEntry
from portal.extensions import db

if TYPE_CHECKING:
    from portal.auth.models import User


def record(
    action: str,
    object_type: str,
    object_id: object,
    *,
    actor: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits with its change)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the fields whose values differ, for a compact before/after pair."""
    changed = [key for key in after if before.get(key) != after.get(key)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}
