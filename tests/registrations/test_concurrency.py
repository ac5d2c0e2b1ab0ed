"""Capacity and the per-trust cap under real parallel requests, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.auth.models import Role, User
from portal.auth.service import create_user
from portal.events.service import create_event, publish_event
from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from portal.registrations.models import Registration, RegistrationState
from tests.conftest import PASSWORD
from tests.events.helpers import event_values
from tests.live import Browserless, LiveServer, run_in_parallel, serve

BOOKINGS = 30
CAPACITY = 10
TRUST_CAP = 4
TRUSTS = ("RA1", "RB1", "RC1")


@pytest.fixture
def live_server(scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(scratch_database, tmp_path)


def setup(server: LiveServer) -> int:
    with server.app.app_context():
        london = region_by_slug("london")
        coordinator = create_user(
            "coordinator@nhs.example", Role.COORDINATOR, password=PASSWORD, region=london
        )
        for code in TRUSTS:
            trust = Trust(name=f"Trust {code}", ods_code=code, region=london, participating=True)
            db.session.add(trust)
            db.session.flush()
            create_user(
                f"staff.{code.lower()}@nhs.example", Role.TRUST, password=PASSWORD, trust=trust
            )
        db.session.commit()
        event = create_event(
            london, event_values(capacity=CAPACITY, trust_cap=TRUST_CAP), actor=coordinator
        )
        publish_event(event, actor=coordinator)
        event_id = event.id
        db.session.remove()
    return event_id


def confirmed_by_trust(server: LiveServer, event_id: int) -> tuple[Counter[str], int, int]:
    with server.app.app_context():
        registrations = db.session.query(Registration).filter_by(event_id=event_id).all()
        confirmed = Counter(
            r.trust.ods_code for r in registrations if r.state is RegistrationState.CONFIRMED
        )
        waiting = sum(1 for r in registrations if r.state is RegistrationState.WAITLISTED)
        emails = [
            r.attendee_email
            for r in registrations
            if r.state in (RegistrationState.CONFIRMED, RegistrationState.WAITLISTED)
        ]
        assert len(emails) == len(set(emails)), "a duplicate active e-mail"
        db.session.remove()
    return confirmed, sum(confirmed.values()), waiting


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
    assert isinstance(User, type)
