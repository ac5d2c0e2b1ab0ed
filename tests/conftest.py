"""Fixtures: an app on a test database migrated once per run, each test rolled back.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL names one
(its public schema is emptied first: point it at a database kept for tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker

from portal import create_app
from portal.extensions import db
from portal.regions.service import seed_regions
from portal.web.pagecache import page_cache
from tests.client import PortalClient

#: Fixtures shared by several folders: an SMTP server on loopback (`smtp_server`).
pytest_plugins = ["tests.mail.local_smtp"]

# Cheap argon2 parameters: tests hash many passwords; production uses OWASP's.
TEST_SETTINGS: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
    "ARGON2_MEMORY_KIB": 64,
    "ARGON2_TIME_COST": 1,
    "ARGON2_PARALLELISM": 1,
    "RATELIMIT_STORAGE_URI": "memory://",
    "PORTAL_BASE_URL": "https://portal.example.org",
}


# Apps that sign in many times (live servers) raise the limits rather than disable the limiter:
# Flask-Limiter's one `limiter` is shared by every app in the process, and an app created with
# RATELIMIT_ENABLED=False would switch it off for all of them.
NO_SIGN_IN_LIMITS: dict[str, Any] = {
    "SIGN_IN_LIMIT_PER_ADDRESS": "100000 per minute",
    "SIGN_IN_LIMIT_PER_ACCOUNT": "100000 per minute",
}


def database_url_for_tests(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    folder = tmp_path_factory.mktemp("db")
    return f"sqlite:///{folder / 'test.sqlite3'}"


def make_app(database_url: str, instance: Path, **overrides: Any) -> Flask:
    settings = {
        **TEST_SETTINGS,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance),
        **overrides,
    }
    app = create_app(settings)
    app.test_client_class = PortalClient
    return app


def reset_database(app: Flask) -> None:
    """Empty the database, then apply every migration from the first."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        seed_regions()
        db.session.commit()
        db.session.remove()


@pytest.fixture
def scratch_database(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the test's own, for tests that commit for real: a fresh SQLite file,
    or a fresh PostgreSQL database beside TEST_DATABASE_URL's (dropped afterwards)."""
    base = database_url_for_tests(tmp_path_factory)
    if base.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    parts = urlsplit(base)
    name = parts.path.lstrip("/") + "_scratch"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url_for_tests(tmp_path_factory)


@pytest.fixture(scope="session")
def _migrated_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path_factory.mktemp("instance"))
    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_migrated_app: Flask) -> Iterator[Flask]:
    """The app, inside one outer transaction that is rolled back after the test.

    Code under test may commit: its commits end savepoints, never the outer transaction.
    """
    app = _migrated_app
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=db.session.registry.scopefunc,
        )
        original = db.session
        db.session = session
        # Pages kept by an earlier test describe data that was rolled back.
        page_cache(app).clear()
        app.extensions.pop("feed_freshness", None)
        try:
            yield app
        finally:
            session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            _reset_rate_limits(app)


def _reset_rate_limits(app: Flask) -> None:
    from portal.extensions import limiter

    with app.app_context():
        assert limiter.enabled, "an app switched the shared rate limiter off: use NO_SIGN_IN_LIMITS"
        limiter.reset()


@pytest.fixture
def app_factory(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build extra apps with other settings; their database connections are closed afterwards."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        extra = make_app(database_url, tmp_path, **overrides)
        made.append(extra)
        return extra

    yield factory
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> PortalClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()
