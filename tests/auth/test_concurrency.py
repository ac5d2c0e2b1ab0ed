"""Signing in, and using single-use links, under real parallel requests against a real server,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from portal.audit.models import AuditEntry
from portal.auth import tokens
from portal.auth.models import Role, SignedInSession, User
from portal.auth.service import create_user
from portal.extensions import db
from tests.factories import PASSWORD
from tests.live import Browserless, LiveServer, run_in_parallel, serve

NEW_PASSWORD = "a brand new long password"


@pytest.fixture
def live_server(scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The portal with its default lock timeout (DB_LOCK_TIMEOUT_MS, 5 seconds)."""
    yield from serve(scratch_database, tmp_path)


@pytest.fixture
def impatient_server(scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The portal waiting at most 0.4 seconds for a lock, so that waiting out a held lock is
    quick to test."""
    yield from serve(scratch_database, tmp_path, DB_LOCK_TIMEOUT_MS=400)


def make_people(server: LiveServer, count: int) -> list[str]:
    with server.app.app_context():
        emails = [f"person{n}@nhs.example" for n in range(count)]
        for email in emails:
            create_user(email, Role.ADMIN, password=PASSWORD)
        db.session.commit()
        db.session.remove()
    return emails


def sign_in_attempt(server: LiveServer, email: str):  # type: ignore[no-untyped-def]
    """A visitor who has opened the sign-in page; calling the result signs in."""
    visitor = Browserless(server)
    token = visitor.csrf_token("/sign-in")

    def attempt() -> int:
        status, _ = visitor.request(
            "POST", "/sign-in", {"email": email, "password": PASSWORD, "csrf_token": token}
        )
        return status

    return attempt


def count(server: LiveServer, statement) -> int:  # type: ignore[no-untyped-def]
    with server.app.app_context():
        value = db.session.scalar(statement)
        db.session.remove()
    return int(value or 0)


def open_sessions(server: LiveServer) -> int:
    return count(
        server,
        select(func.count()).select_from(SignedInSession).where(SignedInSession.ended_at.is_(None)),
    )


def test_forty_people_signing_in_at_once_are_all_signed_in(live_server: LiveServer) -> None:
    emails = make_people(live_server, 40)
    results = run_in_parallel([sign_in_attempt(live_server, email) for email in emails])
    assert Counter(results) == Counter({303: 40})
    assert open_sessions(live_server) == 40
    signed_in = count(
        live_server, select(func.count()).select_from(User).where(User.last_sign_in_at.is_not(None))
    )
    assert signed_in == 40


def test_one_person_signing_in_on_many_devices_at_once(live_server: LiveServer) -> None:
    (email,) = make_people(live_server, 1)
    results = run_in_parallel([sign_in_attempt(live_server, email) for _ in range(12)])
    assert Counter(results) == Counter({303: 12})
    assert open_sessions(live_server) == 12


class HeldWriteLock:
    """Another process holding the database's write lock (SQLite) or the person's row
    (PostgreSQL) until released."""

    def __init__(self, server: LiveServer, email: str) -> None:
        self.server = server
        self.email = email
        self.release = threading.Event()
        self.taken = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        url = self.server.database_url
        if url.startswith("sqlite"):
            connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            self.taken.set()
            self.release.wait(60)
            connection.execute("ROLLBACK")
            connection.close()
            return
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(
                text("SELECT id FROM users WHERE email = :email FOR UPDATE"), {"email": self.email}
            )
            self.taken.set()
            self.release.wait(60)
            connection.rollback()
        engine.dispose()

    def __enter__(self) -> HeldWriteLock:
        self.thread.start()
        assert self.taken.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(60)


def test_a_sign_in_behind_a_held_lock_answers_try_again_and_saves_nothing(
    impatient_server: LiveServer,
) -> None:
    live_server = impatient_server
    (email,) = make_people(live_server, 1)
    attempt = sign_in_attempt(live_server, email)
    with HeldWriteLock(live_server, email):
        visitor = Browserless(live_server)
        token = visitor.csrf_token("/sign-in")
        status, html = visitor.request(
            "POST", "/sign-in", {"email": email, "password": PASSWORD, "csrf_token": token}
        )
    assert status == 503
    assert "nothing was saved" in html and "Please try again" in html
    assert "nhsuk-header" in html  # the NHS error page, not a bare server error
    assert open_sessions(live_server) == 0
    assert attempt() == 303  # once the lock has gone, signing in works
    assert open_sessions(live_server) == 1


# --- Single-use links -------------------------------------------------------------------------


def issue_link(server: LiveServer, purpose: tokens.TokenPurpose) -> tuple[str, str]:
    with server.app.app_context():
        email = "linked@nhs.example"
        person = create_user(
            email,
            Role.ADMIN,
            password=PASSWORD if purpose is tokens.TokenPurpose.PASSWORD_RESET else None,
        )
        raw = tokens.issue(person.id, purpose, timedelta(hours=1), created_by_id=None)
        db.session.commit()
        db.session.remove()
    return email, raw


@pytest.mark.parametrize(
    ("purpose", "path", "audit_action"),
    [
        (tokens.TokenPurpose.PASSWORD_RESET, "/password-reset/{}", "user.password_reset"),
        (tokens.TokenPurpose.INVITATION, "/invitations/{}", "user.invitation_accepted"),
    ],
    ids=["password reset", "invitation"],
)
def test_a_single_use_link_posted_six_times_at_once_works_exactly_once(
    live_server: LiveServer, purpose: tokens.TokenPurpose, path: str, audit_action: str
) -> None:
    _, raw = issue_link(live_server, purpose)
    url = path.format(raw)

    def attempt():  # type: ignore[no-untyped-def]
        visitor = Browserless(live_server)
        html = visitor.request("GET", url)[1]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        form = {
            "name": "Linked Person",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": token,
        }
        return lambda: visitor.request("POST", url, form)[0]

    results = run_in_parallel([attempt() for _ in range(6)])
    assert results.count(303) == 1, results
    assert all(status in (303, 410, 422) for status in results), results
    audited = count(
        live_server,
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == audit_action),
    )
    assert audited == 1
    assert open_sessions(live_server) == 1
