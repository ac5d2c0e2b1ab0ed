"""The coordinator's view of an event's people on the day: who has arrived, who is still to come,
who waits and why, found by name as the coordinator types. Reads only; changes go through
`service`."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from portal.events.models import NetworkEvent
from portal.extensions import db, utcnow
from portal.regions.models import Trust
from portal.registrations.models import Registration
from portal.registrations.service import (
    Places,
    TrustLimits,
    no_promotion_reason,
    places,
    trust_limits,
)

#: The longest search the check-in page reads (a name is at most 120 characters).
SEARCH_LIMIT = 120


class Show(enum.StrEnum):
    """Whom the check-in list shows."""

    EVERYONE = "everyone"
    NOT_ARRIVED = "not-arrived"
    ARRIVED = "arrived"
    WAITING = "waiting"

    @property
    def label(self) -> str:
        return {
            Show.EVERYONE: "Everyone booked",
            Show.NOT_ARRIVED: "Not arrived yet",
            Show.ARRIVED: "Arrived",
            Show.WAITING: "Waiting list",
        }[self]

    @classmethod
    def read(cls, value: str | None) -> Show:
        """The choice in a query string; anything unknown (an old link) shows everyone."""
        try:
            return cls(value or cls.EVERYONE)
        except ValueError:
            return cls.EVERYONE


def event_registrations(event: NetworkEvent) -> list[Registration]:
    """Every booking of the event, active or ended, in one query.

    Each booking's event is the one given, already in the session: it is not joined to every
    row again (`registration.event` finds it in the identity map without a query)."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id)
            .options(lazyload(Registration.event))
            .order_by(
                Registration.state,
                Registration.waitlisted_at,
                Registration.attendee_name,
                Registration.id,
            )
        )
    )


def _folded(text: str) -> str:
    """Text to compare as people type it: no case, no accents ("zoe" finds "Zoë")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(name: str, search: str) -> bool:
    """Whether every word of the search is in the name ("ada ok" finds "Ada Okafor")."""
    folded = _folded(name)
    return all(word in folded for word in _folded(search).split())


def by_name(registration: Registration) -> tuple[str, int]:
    return (_folded(registration.attendee_name), registration.id)


@dataclass(frozen=True)
class Counts:
    """The event's people on the day: the same whatever the list shows."""

    confirmed: int
    arrived: int
    waiting: int

    @property
    def not_arrived(self) -> int:
        return self.confirmed - self.arrived


def counts_of(registrations: list[Registration]) -> Counts:
    confirmed = [r for r in registrations if r.is_confirmed]
    return Counts(
        len(confirmed),
        sum(1 for r in confirmed if r.attended),
        sum(1 for r in registrations if r.is_waitlisted),
    )


@dataclass(frozen=True)
class WaitingPerson:
    """Someone on the waiting list, their place in the queue, why they wait, and whether the
    coordinator can offer them a free place their trust's limit keeps from them."""

    registration: Registration
    position: int
    reason: str
    can_offer: bool


@dataclass(frozen=True)
class TrustAtLimit:
    """A trust whose people wait although places are free: it has used its places."""

    trust: Trust
    limit: int
    waiting: int


@dataclass(frozen=True)
class EventDay:
    event: NetworkEvent
    places: Places
    counts: Counts
    search: str
    show: Show
    #: The confirmed people the list shows, by name.
    confirmed: list[Registration]
    #: The waiting people the list shows, in the order places are offered.
    waiting: list[WaitingPerson]
    #: Trusts whose people wait while places are free (none once the event has started).
    at_limit: list[TrustAtLimit]
    #: Why no one moves from the waiting list now (full, started, cancelled), or None.
    frozen: str | None

    @property
    def shown(self) -> int:
        return len(self.confirmed) + len(self.waiting)


def _reason(
    registration: Registration,
    places: Places,
    limits: TrustLimits,
    confirmed_by_trust: dict[int, int],
    frozen: str | None,
) -> str:
    """Why this person waits, in the coordinator's words."""
    if places.left == 0:
        return "The event is full."
    if frozen:
        return frozen
    limit = limits.of(registration.trust_id)
    if limit is not None and confirmed_by_trust.get(registration.trust_id, 0) >= limit:
        return f"A place is free, but their trust has used its {limit} places."
    return "A place is free: they will have it in turn."


def event_day(
    event: NetworkEvent,
    registrations: list[Registration],
    *,
    search: str = "",
    show: Show = Show.EVERYONE,
    now: datetime | None = None,
) -> EventDay:
    """The check-in list of an event from its bookings (`event_registrations`)."""
    now = now or utcnow()
    counted = places(event)
    limits = trust_limits(event)
    confirmed = [r for r in registrations if r.is_confirmed]
    queue = sorted(
        (r for r in registrations if r.is_waitlisted), key=lambda r: (r.waitlisted_at, r.id)
    )
    confirmed_by_trust: dict[int, int] = {}
    for registration in confirmed:
        confirmed_by_trust[registration.trust_id] = (
            confirmed_by_trust.get(registration.trust_id, 0) + 1
        )
    frozen = no_promotion_reason(event, now)
    counts = counts_of(registrations)

    first_of_trust: set[int] = set()
    seen_trusts: set[int] = set()
    for registration in queue:
        if registration.trust_id not in seen_trusts:
            seen_trusts.add(registration.trust_id)
            first_of_trust.add(registration.id)
    at_limit: dict[int, TrustAtLimit] = {}
    waiting = []
    for position, registration in enumerate(queue, start=1):
        limit = limits.of(registration.trust_id)
        held_by_limit = (
            frozen is None
            and limit is not None
            and confirmed_by_trust.get(registration.trust_id, 0) >= limit
        )
        if held_by_limit:
            assert limit is not None
            found = at_limit.get(registration.trust_id)
            at_limit[registration.trust_id] = TrustAtLimit(
                registration.trust, limit, (found.waiting if found else 0) + 1
            )
        waiting.append(
            WaitingPerson(
                registration,
                position,
                _reason(registration, counted, limits, confirmed_by_trust, frozen),
                held_by_limit and registration.id in first_of_trust,
            )
        )

    shown_confirmed = sorted(confirmed, key=by_name)
    if show is Show.ARRIVED:
        shown_confirmed = [r for r in shown_confirmed if r.attended]
    elif show is Show.NOT_ARRIVED:
        shown_confirmed = [r for r in shown_confirmed if not r.attended]
    elif show is Show.WAITING:
        shown_confirmed = []
    shown_waiting = waiting if show in (Show.EVERYONE, Show.WAITING) else []
    if search:
        shown_confirmed = [r for r in shown_confirmed if matches(r.attendee_name, search)]
        shown_waiting = [w for w in shown_waiting if matches(w.registration.attendee_name, search)]
    return EventDay(
        event=event,
        places=counted,
        counts=counts,
        search=search,
        show=show,
        confirmed=shown_confirmed,
        waiting=shown_waiting,
        at_limit=sorted(at_limit.values(), key=lambda t: _folded(t.trust.name)),
        frozen=frozen,
    )


def register_of(registrations: list[Registration]) -> list[Registration]:
    """The confirmed people, for the printed register: by trust, then by name."""
    return sorted(
        (r for r in registrations if r.is_confirmed),
        key=lambda r: (_folded(r.trust.name), r.trust_id, *by_name(r)),
    )
