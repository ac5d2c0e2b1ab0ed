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


def test_more_places_for_a_trust_while_others_book_never_exceed_capacity(
    live_server: LiveServer,
) -> None:
    """RA1 has used its places and two of its people wait while two places are free; at the same
    moment the coordinator gives RA1 more places, offers its next person a place, and RB1 and RC1
    book six more. Whatever wins, no more than the capacity is ever confirmed."""
    event_id = setup(live_server)
    staff = {}
    for code in TRUSTS:
        client = Browserless(live_server)
        client.sign_in(f"staff.{code.lower()}@nhs.example")
        staff[code] = (client, client.csrf_token(f"/events/{event_id}/book"))

    def book_one(code: str, n: int) -> tuple[int, str]:
        client, token = staff[code]
        return client.request(
            "POST",
            f"/events/{event_id}/book",
            {
                "attendees-0-name": f"Person {n}",
                "attendees-0-email": f"person{n}@nhs.example",
                "attendees-0-job_role": "midwife",
                "csrf_token": token,
            },
        )

    for n in range(TRUST_CAP + 2):
        assert book_one("RA1", n)[0] == 303
    for n in range(100, 100 + TRUST_CAP):
        assert book_one("RB1", n)[0] == 303
    _, total, waiting = confirmed_by_trust(live_server, event_id)
    assert (total, waiting) == (2 * TRUST_CAP, 2) and CAPACITY - total == 2
    with live_server.app.app_context():
        next_waiting, ra1 = db.session.execute(
            db.text(
                "SELECT r.id, r.trust_id FROM registrations r WHERE r.event_id = :event "
                "AND r.state = 'waitlisted' ORDER BY r.waitlisted_at, r.id LIMIT 1"
            ),
            {"event": event_id},
        ).one()
        db.session.remove()

    coordinator = Browserless(live_server)
    coordinator.sign_in("race.coordinator@nhs.example")
    token = coordinator.csrf_token(f"/registrations/{next_waiting}/offer")

    def as_coordinator(path: str, form: dict[str, str]):  # type: ignore[no-untyped-def]
        worker = Browserless(live_server)
        worker.cookies = dict(coordinator.cookies)
        return lambda: ("coordinator", *worker.request("POST", path, {**form, "csrf_token": token}))

    def booking(code: str, n: int):  # type: ignore[no-untyped-def]
        client, book_token = staff[code]
        worker = Browserless(live_server)
        worker.cookies = dict(client.cookies)
        form = {
            "attendees-0-name": f"Person {n}",
            "attendees-0-email": f"person{n}@nhs.example",
            "attendees-0-job_role": "midwife",
            "csrf_token": book_token,
        }
        return lambda: ("booking", *worker.request("POST", f"/events/{event_id}/book", form))

    calls = [
        as_coordinator(f"/events/{event_id}/trusts/{ra1}/places", {"places": str(CAPACITY)}),
        as_coordinator(f"/registrations/{next_waiting}/offer", {}),
        *(booking("RC1" if n % 2 else "RB1", 200 + n) for n in range(6)),
    ]
    results = run_in_parallel(calls)

    # Every booking is decided (a place or the waiting list); the coordinator's changes either
    # happen or are refused because the places went first.
    assert sorted(status for who, status, _ in results if who == "booking") == [303] * 6
    refusals = [body for who, status, body in results if who == "coordinator" and status != 303]
    assert all(
        "No place is free" in body or "no longer on the waiting list" in body for body in refusals
    )
    assert len(refusals) <= 2
    confirmed, total, _waiting = confirmed_by_trust(live_server, event_id)
    assert total == CAPACITY
    assert confirmed["RB1"] <= TRUST_CAP and confirmed["RC1"] <= TRUST_CAP
    assert confirmed["RA1"] <= CAPACITY
