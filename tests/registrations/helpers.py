from __future__ import annotations

from typing import Any

from portal.auth.models import User
from portal.events.models import NetworkEvent
from portal.registrations.models import JobRole
from portal.registrations.service import Attendee, book_places


def person(n: int | str, **overrides: Any) -> Attendee:
    values: dict[str, Any] = {
        "name": f"Attendee {n}",
        "email": f"attendee{n}@nhs.example",
        "job_role": JobRole.MIDWIFE,
    }
    values.update(overrides)
    return Attendee(**values)


def book(event: NetworkEvent, staff: User, *numbers: int | str):  # type: ignore[no-untyped-def]
    return book_places(event, [person(n) for n in numbers], actor=staff)
