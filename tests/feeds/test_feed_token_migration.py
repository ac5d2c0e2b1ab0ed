"""Migration 0010: private feed addresses made before it keep working after it, and the database
no longer holds them in plain text."""

from __future__ import annotations

import hashlib
import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

from portal.config import PROJECT_ROOT
from portal.extensions import db
from tests.conftest import make_app

MIGRATION = PROJECT_ROOT / "migrations" / "versions" / "0010_private_feed_token_hashed.py"


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_the_migration_hashes_as_the_portal_does() -> None:
    from portal.feeds.service import feed_token_hash

    token = "x3Jq-plain_token_from_before"
    assert migration().feed_token_hash(token) == feed_token_hash(token) == sha256(token)


def test_the_conversion_goes_through_every_row_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches smaller than the table: every token is hashed once, rows without one stay empty."""
    module = migration()
    monkeypatch.setattr(module, "BATCH", 2)
    engine = sa.create_engine("sqlite://")
    metadata = sa.MetaData()
    users = sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed_token", sa.String(64)),
        sa.Column("feed_token_hash", sa.String(64)),
    )
    tokens = {n: f"token-{n}" for n in (1, 2, 4, 5, 7)}
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(
            users.insert(), [{"id": n, "feed_token": tokens.get(n)} for n in range(1, 8)]
        )
        module.hash_plain_feed_tokens(connection)
        hashes = dict(connection.execute(sa.select(users.c.id, users.c.feed_token_hash)).all())
    assert hashes == {n: sha256(tokens[n]) if n in tokens else None for n in range(1, 8)}
    engine.dispose()


def test_a_feed_address_made_before_the_migration_works_after_it(
    scratch_database: str, tmp_path: Path
) -> None:
    """Stop at 0009 with plain tokens in users (as a running portal holds them), migrate, then ask
    for the old addresses over HTTP. No column of users holds a token afterwards."""
    from flask_migrate import downgrade, upgrade

    from portal.auth.models import User

    app = make_app(scratch_database, tmp_path)
    made = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    changed = datetime(2026, 11, 27, 14, 40, tzinfo=UTC)
    tokens = {1: "plain-token-of-the-first-person", 2: "plain-token-of-the-second-person"}
    try:
        with app.app_context():
            upgrade(revision="0009")
            users = sa.table(
                "users",
                *(sa.column(name) for name in ("id", "email", "name", "role", "active")),
                *(sa.column(name) for name in ("is_demo", "session_version", "feed_token")),
                sa.column("created_at", sa.DateTime(timezone=True)),
            )
            audit = sa.table(
                "audit_entries",
                *(sa.column(name) for name in ("actor_id", "action", "object_type", "object_id")),
                sa.column("at", sa.DateTime(timezone=True)),
            )
            with db.engine.begin() as connection:
                connection.execute(
                    users.insert(),
                    [
                        {
                            "id": n,
                            "email": f"person{n}@nhs.example",
                            "name": f"Person {n}",
                            "role": "admin",
                            "active": True,
                            "is_demo": False,
                            "session_version": 1,
                            "feed_token": tokens.get(n),
                            "created_at": made,
                        }
                        for n in (1, 2, 3)
                    ],
                )
                entries = [
                    (1, "user.feed_created", made),
                    (1, "user.feed_reset", changed),
                    (2, "user.signed_in", changed),  # not about the feed
                ]
                connection.execute(
                    audit.insert(),
                    [
                        {"actor_id": who, "action": action, "at": at}
                        | {"object_type": "user", "object_id": str(who)}
                        for who, action, at in entries
                    ],
                )

            upgrade()

            client = app.test_client()
            for token in tokens.values():
                response = client.get(f"/feeds/private/{token}.ics")
                assert response.status_code == 200
                assert response.content_type.startswith("text/calendar")
            assert client.get("/feeds/private/plain-token-of-nobody.ics").status_code == 404

            with db.engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT * FROM users")).mappings().all()
            assert "feed_token" not in rows[0]
            for token in tokens.values():
                assert all(token not in str(value) for row in rows for value in row.values())
            people = {user.id: user for user in db.session.scalars(sa.select(User))}
            assert {n: people[n].feed_token_hash for n in people} == {
                1: sha256(tokens[1]),
                2: sha256(tokens[2]),
                3: None,
            }
            # When the address was made: its latest creation or reset in the audit log, if any.
            assert people[1].feed_created_at == changed
            assert people[2].feed_created_at is None
            assert people[3].feed_created_at is None
            db.session.remove()

            # Going back cannot recover the tokens: every address stops working, nothing breaks.
            downgrade(revision="0009")
            with db.engine.connect() as connection:
                plain = connection.execute(sa.text("SELECT feed_token FROM users")).scalars()
                assert set(plain) == {None}
            upgrade()
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
