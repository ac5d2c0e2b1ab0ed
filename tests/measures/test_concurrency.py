"""One trust's figures under real parallel requests, against a running server: the same month
given by several people at once is saved once, the others told it already has figures; the same
change marked at once is marked once. No answer is a server error, on SQLite or PostgreSQL.

These tests commit for real, so they use a database of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portal.auth.models import Role
from portal.auth.service import create_user
from portal.extensions import db
from portal.measures.models import MeasureChange, MonthlyCounts
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from tests.factories import PASSWORD
from tests.live import Browserless, LiveServer, serve

PARALLEL_REQUESTS = 8
COUNTS = {
    "deliveries": "300",
    "caesareans_elective": "30",
    "caesareans_emergency": "45",
    "normal_births": "120",
    "previous_caesarean": "40",
    "vbac": "12",
}


@pytest.fixture
def live_server(scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(scratch_database, tmp_path)


def staff_of_a_trust(server: LiveServer) -> str:
    with server.app.app_context():
        trust = Trust(name="Parallel NHS Trust", ods_code="RP1", region=region_by_slug("london"))
        db.session.add(trust)
        db.session.flush()
        create_user("staff@example.org", Role.TRUST, password=PASSWORD, trust=trust)
        db.session.commit()
        db.session.remove()
    return "staff@example.org"


def in_parallel(
    server: LiveServer, path: str, form: Callable[[int], dict[str, str]]
) -> list[tuple[int, str]]:
    client = Browserless(server)
    client.sign_in(staff_of_a_trust(server))
    token = client.csrf_token("/account")
    start = threading.Barrier(PARALLEL_REQUESTS)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        worker = Browserless(server)
        worker.cookies = dict(client.cookies)
        start.wait()
        outcome = worker.request("POST", path, {**form(n), "csrf_token": token})
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(PARALLEL_REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == PARALLEL_REQUESTS
    return results


def test_the_same_month_given_at_once_is_saved_once(live_server: LiveServer) -> None:
    results = in_parallel(
        live_server,
        "/trusts/RP1/measures/months/new",
        lambda n: {"month": "2024-05", **COUNTS, "vbac": str(n)},
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [303] + [422] * (PARALLEL_REQUESTS - 1), statuses
    for status, html in results:
        if status == 422:
            assert "May 2024 already has figures" in html
    with live_server.app.app_context():
        assert db.session.query(MonthlyCounts).count() == 1
        db.session.remove()


def test_the_same_change_marked_at_once_is_marked_once(live_server: LiveServer) -> None:
    results = in_parallel(
        live_server,
        "/trusts/RP1/measures/changes",
        lambda n: {"month": "2024-05", "note": f"Change {n}"},
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [303] + [422] * (PARALLEL_REQUESTS - 1), statuses
    with live_server.app.app_context():
        assert db.session.query(MeasureChange).count() == 1
        db.session.remove()
