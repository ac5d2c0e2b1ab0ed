"""Fixtures: an app on a test database migrated once per run, each test rolled back.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL names one
(its public schema is emptied first: point it at a database kept for tests).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker

from portal import create_app
from portal.auth.models import Role, User
from portal.auth.service import create_user
from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.regions.service import region_by_slug, seed_regions
from portal.web.pagecache import page_cache

#: Fixtures shared by several folders: an SMTP server on loopback (`smtp_server`).
pytest_plugins = ["tests.mail.local_smtp"]

PASSWORD = "correct horse battery staple"

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
    return create_app(settings)


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
        app.test_client_class = RequestIsolatingClient
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


class RequestIsolatingClient(FlaskClient):
    """Each request gets its own app context, as in a real server: a fresh `g` and its own
    database session (on the test's connection); the test's session then reads afresh. The
    answer is read whole and closed, as a server does, so work queued for after it has run."""

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def,override]
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


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
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


# --- Factories ---------------------------------------------------------------------------


def region(slug: str = "london") -> Region:
    found = region_by_slug(slug)
    assert found is not None
    return found


def make_trust(
    name: str = "Test Hospitals NHS Trust",
    ods_code: str = "RT1",
    slug: str = "london",
    participating: bool = True,
) -> Trust:
    trust = Trust(name=name, ods_code=ods_code, region=region(slug), participating=participating)
    db.session.add(trust)
    db.session.flush()
    return trust


def make_user(
    role: Role | str = Role.ADMIN,
    email: str | None = None,
    *,
    region_slug: str | None = None,
    trust: Trust | None = None,
    name: str = "Test Person",
    password: str = PASSWORD,
) -> User:
    role = Role(role)
    if role is Role.COORDINATOR and region_slug is None:
        region_slug = "london"
    if role is Role.TRUST and trust is None:
        trust = make_trust()
    user = create_user(
        email or f"{role.value}.{db.session.query(User).count() + 1}@example.org",
        role,
        name=name,
        password=password,
        region=region(region_slug) if region_slug else None,
        trust=trust,
    )
    db.session.commit()
    return user


# --- Request helpers ---------------------------------------------------------------------

CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)
CSRF_HEADER = re.compile(r"X-CSRFToken&#34;: &#34;([^&]+)&#34;")


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    """The CSRF token of the client's session, read from a page the way a browser gets it."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(html)
    if match:
        return match.group(1) or match.group(2)
    match = CSRF_HEADER.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    """POST a form with the session's CSRF token, as the browser would."""
    token = csrf_token(client, kwargs.pop("token_from", "/account"))
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/account"}
