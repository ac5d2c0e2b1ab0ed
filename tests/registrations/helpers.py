from __future__ import annotations

from typing import Any

from portal.auth.models import User
from portal.auth.service import find_by_email
from portal.events.models import NetworkEvent
from portal.registrations.models import JobRole
from portal.registrations.service import Attendee, book_places
from tests.conftest import make_trust, make_user
from tests.events.helpers import make_event


def person(n: int | str, **overrides: Any) -> Attendee:
    values: dict[str, Any] = {
        "name": f"Attendee {n}",
        "email": f"attendee{n}@nhs.example",
        "job_role": JobRole.MIDWIFE,
    }
    values.update(overrides)
    return Attendee(**values)


def trust_staff(code: str = "RT1", slug: str = "london", email: str | None = None) -> User:
    trust = make_trust(f"Trust {code} NHS Trust", code, slug)
    return make_user(
        "trust", email or f"staff.{code.lower()}@nhs.example", trust=trust, name=f"Booker {code}"
    )


def open_event(capacity: int = 3, trust_cap: int | None = None, **overrides: Any) -> NetworkEvent:
    slug = overrides.pop("slug", "london")
    email = f"coordinator.{slug}@nhs.example"
    coordinator = find_by_email(email) or make_user("coordinator", email, region_slug=slug)
    return make_event(
        coordinator,
        coordinator.region.slug,
        publish=True,
        capacity=capacity,
        trust_cap=trust_cap,
        **overrides,
    )


def book(event: NetworkEvent, staff: User, *numbers: int | str):  # type: ignore[no-untyped-def]
    return book_places(event, [person(n) for n in numbers], actor=staff)
