"""An event for booking races: three trusts with a member of staff each, a capacity and a cap per
trust; and what the race left in the database."""

from __future__ import annotations

from collections import Counter

from portal.auth.models import Role
from portal.auth.service import create_user
from portal.events.service import create_event, publish_event
from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from portal.registrations.models import Registration, RegistrationState
from tests.events.helpers import event_values
from tests.factories import PASSWORD
from tests.live import LiveServer

BOOKINGS = 30
CAPACITY = 10
TRUST_CAP = 4
TRUSTS = ("RA1", "RB1", "RC1")


def setup(server: LiveServer) -> int:
    """The event (published, in London) and its bookers: staff.<trust code>@nhs.example."""
    with server.app.app_context():
        london = region_by_slug("london")
        coordinator = create_user(
            "race.coordinator@nhs.example", Role.COORDINATOR, password=PASSWORD, region=london
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
