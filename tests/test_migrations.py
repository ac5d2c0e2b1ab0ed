"""The schema the migrations build is exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from portal.extensions import db

# Database objects that models cannot express and that migrations create on purpose.
# Each entry: (kind of difference, object name) with the reason beside it.
EXPECTED_DIFFERENCES: set[tuple[str, str]] = set()


def test_migrations_from_empty_match_the_models(_migrated_app: Flask) -> None:
    """`_migrated_app` emptied the database and applied every migration from the first."""
    with _migrated_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    unexpected = [d for d in differences if _key(d) not in EXPECTED_DIFFERENCES]
    assert unexpected == []


def _key(difference: object) -> tuple[str, str]:
    if isinstance(difference, tuple) and len(difference) >= 2:
        obj = difference[1]
        return (str(difference[0]), str(getattr(obj, "name", obj)))
    return ("modify", repr(difference))
