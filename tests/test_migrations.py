"""The schema the migrations build is exactly the schema the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from portal.extensions import db

# Database objects that models cannot express and that migrations create on purpose.
# Each entry: (kind of difference, object name) with the reason beside it.
EXPECTED_DIFFERENCES: set[tuple[str, str]] = {
    # Story search on SQLite (migration 0007): the FTS5 table over stories' title, summary and
    # body, and the shadow tables SQLite keeps for it. Models cannot describe virtual tables.
    ("remove_table", "stories_fts"),
    ("remove_table", "stories_fts_config"),
    ("remove_table", "stories_fts_data"),
    ("remove_table", "stories_fts_docsize"),
    ("remove_table", "stories_fts_idx"),
    # Story search on PostgreSQL (migration 0007): a GIN index over an expression
    # (to_tsvector('simple', title || ' ' || summary || ' ' || body)) that the search query repeats.
    ("remove_index", "ix_stories_search"),
}


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


def test_every_migration_applies_to_a_database_that_holds_data(
    scratch_database: str, tmp_path: Any
) -> None:
    """Step through the revisions one at a time with rows in every table so far, as an existing
    portal would: table rebuilds (SQLite batch mode) must keep the rows and their references."""
    from flask_migrate import downgrade, upgrade

    from portal.demo import DEMO_PEOPLE, load_demo_data
    from portal.events.models import NetworkEvent
    from portal.regions.models import Trust
    from tests.conftest import make_app

    app = make_app(scratch_database, tmp_path)
    try:
        with app.app_context():
            upgrade()
            load_demo_data()
            db.session.commit()
            counts = (db.session.query(Trust).count(), db.session.query(NetworkEvent).count())
            db.session.remove()
            downgrade(revision="0002")
            upgrade()
            assert (
                db.session.query(Trust).count(),
                db.session.query(NetworkEvent).count(),
            ) == counts
            assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == len(
                DEMO_PEOPLE
            )
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
