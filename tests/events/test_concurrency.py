"""The per-region limit under real parallel requests, against a running server.

These tests commit for real, so they use a database of their own: a fresh SQLite file, or a
fresh PostgreSQL database next to TEST_DATABASE_URL's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from portal.auth.models import Role
from portal.auth.service import create_user
from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, sqlite_begin_mode
from portal.web.dates import programme_year
from tests.events.helpers import event_values, form_data, future
from tests.factories import PASSWORD
from tests.live import Browserless, LiveServer, serve

PARALLEL_REQUESTS = 12


@pytest.fixture
def live_server(scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(scratch_database, tmp_path)


def coordinator_with_one_slot_left(server: LiveServer) -> str:
    from portal.events.service import create_event
    from portal.regions.service import region_by_slug

    with server.app.app_context():
        london = region_by_slug("london")
        user = create_user(
            "coordinator@example.org", Role.COORDINATOR, password=PASSWORD, region=london
        )
        db.session.commit()
        for _ in range(2):
            create_event(london, event_values(), actor=user)
        db.session.remove()
    return "coordinator@example.org"


def test_parallel_creates_for_the_last_slot_let_exactly_one_through(
    live_server: LiveServer,
) -> None:
    email = coordinator_with_one_slot_left(live_server)
    client = Browserless(live_server)
    client.sign_in(email)
    token = client.csrf_token("/events/new")
    start = threading.Barrier(PARALLEL_REQUESTS)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def create(n: int) -> None:
        worker = Browserless(live_server)
        worker.cookies = dict(client.cookies)
        start.wait()
        outcome = worker.request(
            "POST", "/events/new", {**form_data(title=f"Parallel {n}"), "csrf_token": token}
        )
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(PARALLEL_REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = sorted(status for status, _ in results)
    assert len(results) == PARALLEL_REQUESTS
    assert statuses == [303] + [422] * (PARALLEL_REQUESTS - 1), statuses
    for status, html in results:
        if status == 422:
            assert "NHS London has planned all 3 network events" in html
    with live_server.app.app_context():
        held = db.session.query(NetworkEvent).filter(
            NetworkEvent.programme_year == programme_year(future()),
            NetworkEvent.state != EventState.CANCELLED,
        )
        assert held.count() == 3
        assert sorted(e.slot for e in held) == [1, 2, 3]
        db.session.remove()


@pytest.fixture
def impatient_server(scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(scratch_database, tmp_path, DB_LOCK_TIMEOUT_MS=200)


def test_a_lock_held_too_long_answers_please_try_again(impatient_server: LiveServer) -> None:
    email = coordinator_with_one_slot_left(impatient_server)
    client = Browserless(impatient_server)
    client.sign_in(email)
    token = client.csrf_token("/events/new")
    blocker = create_engine(impatient_server.database_url)
    token_mode = sqlite_begin_mode.set("IMMEDIATE")  # SQLite: hold the database write lock
    try:
        with blocker.connect() as conn:
            conn.execute(
                text("SELECT id FROM regions WHERE slug = 'london' FOR UPDATE")
                if blocker.dialect.name == "postgresql"
                else text("SELECT 1")
            )
            status, html = client.request(
                "POST", "/events/new", {**form_data(), "csrf_token": token}
            )
            conn.rollback()
    finally:
        sqlite_begin_mode.reset(token_mode)
        blocker.dispose()
    assert status == 503
    assert "Please try again" in html and "nothing was saved" in html
    with impatient_server.app.app_context():
        assert db.session.query(NetworkEvent).count() == 2
        db.session.remove()
