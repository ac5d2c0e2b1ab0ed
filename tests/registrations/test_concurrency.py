"""Capacity and the per-trust cap under real parallel requests, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.extensions import db
from portal.registrations.models import Registration, RegistrationState
from tests.live import Browserless, LiveServer, run_in_parallel, serve
from tests.registrations.race import (
    BOOKINGS,
    CAPACITY,
    TRUST_CAP,
    TRUSTS,
    confirmed_by_trust,
    setup,
)


@pytest.fixture
def live_server(scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(scratch_database, tmp_path)


def test_parallel_bookings_never_exceed_capacity_or_a_trusts_cap(live_server: LiveServer) -> None:
    event_id = setup(live_server)
    clients = {}
    for code in TRUSTS:
        client = Browserless(live_server)
        client.sign_in(f"staff.{code.lower()}@nhs.example")
        clients[code] = (client, client.csrf_token(f"/events/{event_id}/book"))

    def booking(n: int):  # type: ignore[no-untyped-def]
        client, token = clients[TRUSTS[n % len(TRUSTS)]]
        worker = Browserless(live_server)
        worker.cookies = dict(client.cookies)
        form = {
            "attendees-0-name": f"Person {n}",
            "attendees-0-email": f"person{n}@nhs.example",
            "attendees-0-job_role": "midwife",
            "csrf_token": token,
        }
        return lambda: worker.request("POST", f"/events/{event_id}/book", form)

    results = run_in_parallel([booking(n) for n in range(BOOKINGS)])
    assert sorted(status for status, _ in results) == [303] * BOOKINGS
    confirmed, total, waiting = confirmed_by_trust(live_server, event_id)
    assert total == CAPACITY
    assert max(confirmed.values()) <= TRUST_CAP
    assert waiting == BOOKINGS - CAPACITY

    # Withdrawals in parallel promote exactly as many people as they free.
    with live_server.app.app_context():
        to_withdraw = [
            (r.id, r.trust.ods_code)
            for r in db.session.query(Registration)
            .filter_by(event_id=event_id, state=RegistrationState.CONFIRMED)
            .limit(4)
        ]
        db.session.remove()

    def withdrawal(registration_id: int, code: str):  # type: ignore[no-untyped-def]
        client, token = clients[code]
        worker = Browserless(live_server)
        worker.cookies = dict(client.cookies)
        return lambda: worker.request(
            "POST", f"/bookings/{registration_id}/withdraw", {"csrf_token": token}
        )

    results = run_in_parallel([withdrawal(rid, code) for rid, code in to_withdraw])
    assert sorted(status for status, _ in results) == [303] * len(to_withdraw)
    confirmed, total, waiting = confirmed_by_trust(live_server, event_id)
    assert total == CAPACITY
    assert max(confirmed.values()) <= TRUST_CAP
    assert waiting == BOOKINGS - CAPACITY - len(to_withdraw)
    with live_server.app.app_context():
        promoted = db.session.execute(
            db.text("SELECT count(*) FROM audit_entries WHERE action = 'registration.promoted'")
        ).scalar()
        db.session.remove()
    assert promoted == len(to_withdraw)
