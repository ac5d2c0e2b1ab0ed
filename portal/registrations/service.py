"""The booking rules: capacity, per-trust caps, the waiting list, withdrawals, check-in.

Every decision about places is taken inside `write_transaction()` with the event locked, so two
bookings at the same moment cannot both take the last place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, lazyload

from portal.audit.service import record
from portal.auth.permissions import is_staff_of, signed_in
from portal.database import write_transaction
from portal.events import signals
from portal.events.locks import lock_event
from portal.events.models import EventState, NetworkEvent
from portal.events.service import can_manage_region
from portal.extensions import db, utcnow
from portal.regions.models import Trust
from portal.registrations import messages
from portal.registrations.models import (
    ACTIVE_STATES,
    JobRole,
    Registration,
    RegistrationState,
    TrustAllowance,
    new_self_service_key,
)
from portal.web.dates import today_in_london

if TYPE_CHECKING:
    from portal.auth.models import User


class BookingError(ValueError):
    """A booking request the rules do not allow; the message is for the person."""


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    job_role: JobRole
    access_needs: str = ""
    dietary_needs: str = ""


@dataclass(frozen=True)
class BookingOutcome:
    attendee: Attendee
    registration: Registration | None
    message: str

    @property
    def confirmed(self) -> bool:
        return self.registration is not None and self.registration.is_confirmed

    @property
    def waitlisted(self) -> bool:
        return self.registration is not None and self.registration.is_waitlisted


# --- Who may book what ---------------------------------------------------------------------------


def event_is_open_to(event: NetworkEvent, trust: Trust) -> bool:
    return event.open_to_all_regions or event.region_id == trust.region_id


def can_book(user: object, event: NetworkEvent) -> bool:
    return (
        signed_in(user)
        and user.is_trust_staff
        and user.trust is not None
        and event_is_open_to(event, user.trust)
    )


def booking_closed_reason(event: NetworkEvent, now: datetime | None = None) -> str | None:
    """Why no one can book this event now, or None when booking is open."""
    now = now or utcnow()
    if event.is_draft:
        return "This event has not been published."
    if event.is_cancelled:
        return "This event has been cancelled."
    if event.has_started(now):
        return "This event has already taken place."
    if now >= event.registration_closes_at:
        return "Registration for this event has closed."
    return None


def can_manage_attendees(user: object, event: NetworkEvent) -> bool:
    return can_manage_region(user, event.region)


def event_for_attendee_manager(user: object, event_id: int) -> NetworkEvent | None:
    """The event if this person may see and manage its attendees; None (a 404) for anyone else."""
    event = db.session.get(NetworkEvent, event_id)
    if event is None or not can_manage_attendees(user, event):
        return None
    return event


def registration_for_trust(user: object, registration_id: int) -> Registration | None:
    """A registration of the person's own trust; None (a 404) for anyone else."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or not is_staff_of(user, registration.trust_id):
        return None
    return registration


def registration_for_manager(user: object, registration_id: int) -> Registration | None:
    registration = db.session.get(Registration, registration_id)
    if registration is None or not can_manage_attendees(user, registration.event):
        return None
    return registration


# --- Counting places -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    capacity: int
    confirmed: int
    waiting: int

    @property
    def left(self) -> int:
        return max(self.capacity - self.confirmed, 0)


def places(event: NetworkEvent) -> Places:
    return places_for([event])[event.id]


def places_for(events: list[NetworkEvent]) -> dict[int, Places]:
    """Confirmed and waiting counts of several events in one query (for lists)."""
    ids = [e.id for e in events]
    counts: dict[tuple[int, RegistrationState], int] = {}
    if ids:
        rows = db.session.execute(
            select(Registration.event_id, Registration.state, func.count())
            .where(Registration.event_id.in_(ids), Registration.state.in_(ACTIVE_STATES))
            .group_by(Registration.event_id, Registration.state)
        )
        counts = {(event_id, state): n for event_id, state, n in rows}
    return {
        e.id: Places(
            e.capacity,
            counts.get((e.id, RegistrationState.CONFIRMED), 0),
            counts.get((e.id, RegistrationState.WAITLISTED), 0),
        )
        for e in events
    }


def _confirmed_by_trust(event_id: int) -> Counter[int]:
    rows = db.session.execute(
        select(Registration.trust_id, func.count())
        .where(Registration.event_id == event_id, Registration.state == RegistrationState.CONFIRMED)
        .group_by(Registration.trust_id)
    )
    return Counter({trust_id: n for trust_id, n in rows})


# --- Places per trust ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustLimits:
    """How many people each trust may have confirmed at one event: the event's places per trust
    (`trust_cap`), or more for a trust the coordinator allowed more (`TrustAllowance`). Every
    rule about a trust's share of an event reads it from here."""

    cap: int | None
    allowances: Mapping[int, int] = field(default_factory=dict)

    def of(self, trust_id: int) -> int | None:
        """The trust's limit at this event; None when the event has no limit per trust."""
        if self.cap is None:
            return None
        return max(self.cap, self.allowances.get(trust_id, 0))

    def reached(self, trust_id: int, confirmed: int) -> bool:
        limit = self.of(trust_id)
        return limit is not None and confirmed >= limit

    def left(self, trust_id: int, confirmed: int, places_left: int) -> int:
        """How many more of the trust's people would be confirmed now."""
        limit = self.of(trust_id)
        if limit is None:
            return places_left
        return max(min(places_left, limit - confirmed), 0)


def trust_limits(event: NetworkEvent) -> TrustLimits:
    return trust_limits_for([event])[event.id]


def trust_limits_for(events: list[NetworkEvent]) -> dict[int, TrustLimits]:
    """The limits per trust of several events, their allowances read in one query."""
    allowances: dict[int, dict[int, int]] = {event.id: {} for event in events}
    capped = [event.id for event in events if event.trust_cap is not None]
    if capped:
        rows = db.session.execute(
            select(TrustAllowance.event_id, TrustAllowance.trust_id, TrustAllowance.places).where(
                TrustAllowance.event_id.in_(capped)
            )
        )
        for event_id, trust_id, allowed in rows:
            allowances[event_id][trust_id] = allowed
    return {event.id: TrustLimits(event.trust_cap, allowances[event.id]) for event in events}


def trust_places_left(event: NetworkEvent, trust: Trust, left: int) -> int:
    """How many more of the trust's colleagues would get a confirmed place now: the places
    left, and no more than the trust's limit allows (the rest join the waiting list)."""
    limits = trust_limits(event)
    if limits.of(trust.id) is None:
        return left
    return limits.left(trust.id, _confirmed_by_trust(event.id)[trust.id], left)


def _lock_event(event: NetworkEvent) -> None:
    """Serialise decisions about this event's places."""
    lock_event(event)


def _audit(action: str, registration: Registration, actor: object | None, **after: Any) -> None:
    """Audit entries of registrations hold ids and field names only, never personal data."""
    record(
        action,
        "registration",
        registration.id,
        actor=actor if signed_in(actor) else None,
        after={"event_id": registration.event_id, "trust_id": registration.trust_id, **after},
    )


# --- Booking -------------------------------------------------------------------------------------


def book_places(
    event: NetworkEvent, attendees: list[Attendee], *, actor: User, now: datetime | None = None
) -> list[BookingOutcome]:
    """Book each attendee a confirmed place, or a place on the waiting list when the event or the
    trust's share of it is full. People already booked are reported, not booked twice."""
    if not can_book(actor, event):
        raise BookingError("You can only book places at events open to your trust")
    trust = actor.trust
    assert trust is not None
    outcomes: list[BookingOutcome] = []
    with write_transaction():
        _lock_event(event)
        # The clock is read holding the lock, so the order of the stamps is the order in which
        # bookings are decided: the waiting list is in order of arrival.
        now = now or utcnow()
        reason = booking_closed_reason(event, now)
        if reason:
            raise BookingError(reason)
        confirmed = _confirmed_by_trust(event.id)
        total = sum(confirmed.values())
        limit = trust_limits(event).of(trust.id)
        active = set(
            db.session.scalars(
                select(Registration.attendee_email).where(
                    Registration.event_id == event.id, Registration.state.in_(ACTIVE_STATES)
                )
            )
        )
        for attendee in attendees:
            email = attendee.email.strip().lower()
            if email in active:
                outcomes.append(
                    BookingOutcome(attendee, None, "Already booked at this event: not booked again")
                )
                continue
            active.add(email)
            entry = _calendar_entry(event.id, email)
            registration = Registration(
                event=event,
                trust=trust,
                booked_by_id=actor.id,
                attendee_name=attendee.name.strip(),
                attendee_email=email,
                job_role=attendee.job_role,
                access_needs=attendee.access_needs.strip(),
                dietary_needs=attendee.dietary_needs.strip(),
                booked_at=now,
                updated_at=now,
            )
            if entry is not None:
                registration.calendar_uid, registration.calendar_sequence = entry
            waits_because: messages.WaitingBecause | None = None
            if total >= event.capacity:
                registration.state = RegistrationState.WAITLISTED
                registration.waitlisted_at = now
                waits_because = "full"
                message = "On the waiting list: the event is full"
            elif limit is not None and confirmed[trust.id] >= limit:
                registration.state = RegistrationState.WAITLISTED
                registration.waitlisted_at = now
                waits_because = "trust"
                message = f"On the waiting list: your trust's {limit} places are all taken"
            else:
                registration.state = RegistrationState.CONFIRMED
                registration.confirmed_at = now
                total += 1
                confirmed[trust.id] += 1
                message = "Confirmed"
            db.session.add(registration)
            db.session.flush()
            _audit(
                f"registration.{registration.state.value}",
                registration,
                actor,
                state=registration.state.value,
            )
            messages.booked(registration, waits_because, trust_limit=limit)
            outcomes.append(BookingOutcome(attendee, registration, message))
        db.session.commit()
    return outcomes


# --- The waiting list ----------------------------------------------------------------------------


def promote_waiting(
    event: NetworkEvent, *, actor: object | None = None, now: datetime | None = None
) -> list[Registration]:
    """Fill free places from the waiting list, oldest first; an entry whose trust is at its limit
    is skipped but keeps its place. Nothing moves once the event has started. Call it inside the
    write transaction that freed the places."""
    now = now or utcnow()
    if event.is_cancelled or event.has_started(now):
        return []
    limits = trust_limits(event)
    confirmed = _confirmed_by_trust(event.id)
    total = sum(confirmed.values())
    waiting = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id, Registration.state == RegistrationState.WAITLISTED
        )
        .order_by(Registration.waitlisted_at, Registration.id)
    )
    promoted = []
    for registration in waiting:
        if total >= event.capacity:
            break
        if limits.reached(registration.trust_id, confirmed[registration.trust_id]):
            continue
        registration.state = RegistrationState.CONFIRMED
        registration.confirmed_at = now
        registration.updated_at = now
        total += 1
        confirmed[registration.trust_id] += 1
        _audit("registration.promoted", registration, actor, state="confirmed")
        messages.promoted(registration)
        promoted.append(registration)
    return promoted


def _end(
    registration: Registration,
    state: RegistrationState,
    *,
    actor: object | None,
    by: str,
    now: datetime | None,
) -> list[Registration]:
    with write_transaction():
        event = registration.event
        _lock_event(event)
        now = now or utcnow()  # holding the lock, as in book_places
        db.session.refresh(registration)
        if not registration.is_active:
            db.session.rollback()
            return []  # already withdrawn or removed: a second click changes nothing
        was_confirmed = registration.is_confirmed
        registration.state = state
        registration.ended_at = now
        registration.updated_at = now
        registration.withdrawn_by = by
        _audit(f"registration.{state.value}", registration, actor, state=state.value, by=by)
        messages.ended(registration, was_confirmed=was_confirmed)
        promoted = promote_waiting(event, actor=actor, now=now) if was_confirmed else []
        db.session.commit()
    return promoted


def withdraw(
    registration: Registration, *, by: str, actor: object | None = None, now: datetime | None = None
) -> list[Registration]:
    """The attendee or their trust withdraws; a freed place goes to the waiting list."""
    if by not in ("attendee", "trust"):
        raise ValueError(by)
    return _end(registration, RegistrationState.WITHDRAWN, actor=actor, by=by, now=now)


def remove(
    registration: Registration, *, actor: User, now: datetime | None = None
) -> list[Registration]:
    """The coordinator removes an attendee; a freed place goes to the waiting list."""
    return _end(registration, RegistrationState.REMOVED, actor=actor, by="coordinator", now=now)


# --- More places for one trust ------------------------------------------------------------------


def confirmed_of_trust(event: NetworkEvent, trust_id: int) -> int:
    """How many of the trust's people have confirmed places at the event."""
    return _confirmed_by_trust(event.id)[trust_id]


def waiting_of_trust(event: NetworkEvent, trust_id: int) -> list[Registration]:
    """The trust's people on the event's waiting list, in the order places are offered."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.trust_id == trust_id,
                Registration.state == RegistrationState.WAITLISTED,
            )
            .order_by(Registration.waitlisted_at, Registration.id)
        )
    )


def no_promotion_reason(event: NetworkEvent, now: datetime | None = None) -> str | None:
    """Why no one can move from this event's waiting list now, or None."""
    now = now or utcnow()
    if event.is_cancelled:
        return "This event has been cancelled."
    if event.has_started(now):
        return "This event has started: no one moves from the waiting list once it has begun."
    if places(event).left == 0:
        return (
            "No place is free: every place is taken. Add places to the event, or wait until "
            "someone withdraws."
        )
    return None


def _allow(event: NetworkEvent, trust_id: int, allowed: int, actor: User, now: datetime) -> int:
    """Let the trust confirm up to `allowed` people at the event; the limit it had before."""
    before = trust_limits(event).of(trust_id)
    assert before is not None
    allowance = db.session.get(TrustAllowance, (event.id, trust_id))
    if allowance is None:
        allowance = TrustAllowance(event_id=event.id, trust_id=trust_id)
        db.session.add(allowance)
    allowance.places = allowed
    allowance.raised_by_id = actor.id
    allowance.raised_at = now
    db.session.flush()
    return before


def trust_limit_problem(event: NetworkEvent, trust: Trust, allowed: int | None) -> str | None:
    """Why the trust's limit at the event cannot be raised to `allowed` now, or None."""
    limit = trust_limits(event).of(trust.id)
    if limit is None:
        return "This event has no limit per trust, so there is nothing to raise."
    if not waiting_of_trust(event, trust.id):
        return f"No one from {trust.name} is on the waiting list."
    if allowed is None:
        return None
    if allowed <= limit:
        return f"Enter a number more than {limit}, the places {trust.name} has now"
    if allowed > event.capacity:
        return f"A trust cannot have more than the event's {event.capacity} places"
    return None


def raise_trust_limit(
    event: NetworkEvent, trust: Trust, allowed: int, *, actor: User, now: datetime | None = None
) -> list[Registration]:
    """Let one trust have up to `allowed` confirmed people at this event, more than the event's
    places per trust, and fill the free places from the waiting list in turn (e-mails through
    the outbox). Never beyond the event's capacity. The people who got places are returned."""
    with write_transaction():
        _lock_event(event)
        now = now or utcnow()  # holding the lock, as in book_places
        problem = no_promotion_reason(event, now) or trust_limit_problem(event, trust, allowed)
        if problem:
            raise BookingError(problem)
        before = _allow(event, trust.id, allowed, actor, now)
        record(
            "event.trust_limit_raised",
            "event",
            event.id,
            actor=actor,
            before={"trust_id": trust.id, "places": before},
            after={"trust_id": trust.id, "places": allowed},
        )
        promoted = promote_waiting(event, actor=actor, now=now)
        db.session.commit()
    return promoted


def offer_problem(registration: Registration, now: datetime | None = None) -> str | None:
    """Why a place cannot be offered to this waiting person now, or None."""
    now = now or utcnow()
    event = registration.event
    if not registration.is_waitlisted:
        return f"{registration.attendee_name} is no longer on the waiting list."
    problem = no_promotion_reason(event, now)
    if problem:
        return problem
    first = waiting_of_trust(event, registration.trust_id)[0]
    if first.id != registration.id:
        return (
            f"{first.attendee_name}, also from {registration.trust.name}, is ahead of them on "
            "the waiting list: offer the place to them first."
        )
    return None


def offer_place(
    registration: Registration, *, actor: User, now: datetime | None = None
) -> Registration:
    """Give a waiting person a free place that their trust's limit keeps from them: the trust
    may have one more person at this event than it has now, and the person (their trust's next
    in the queue) is confirmed and told by e-mail."""
    with write_transaction():
        event = registration.event
        _lock_event(event)
        now = now or utcnow()
        db.session.refresh(registration)
        problem = offer_problem(registration, now)
        if problem:
            raise BookingError(problem)
        confirmed = _confirmed_by_trust(event.id)[registration.trust_id]
        limits = trust_limits(event)
        allowed = None
        if limits.reached(registration.trust_id, confirmed):
            allowed = confirmed + 1
            _allow(event, registration.trust_id, allowed, actor, now)
        promoted = promote_waiting(event, actor=actor, now=now)
        if registration not in promoted:
            # Someone earlier in the queue, whom no limit held back, took the place.
            db.session.rollback()
            raise BookingError(
                "The free place went to someone earlier on the waiting list. Nothing else changed."
            )
        _audit("registration.place_offered", registration, actor, places=allowed)
        db.session.commit()
    return registration


def capacity_problem(
    event: NetworkEvent, capacity: int | None, trust_cap: int | None
) -> str | None:
    """Why the event's capacity cannot be lowered to `capacity`, or None."""
    if capacity is None:
        return None
    confirmed = places(event).confirmed
    if capacity < confirmed:
        extra = confirmed - capacity
        return (
            f"{confirmed} people have confirmed places. Remove {extra} "
            f"{'person' if extra == 1 else 'people'} before lowering the places to {capacity}."
        )
    return None


def _active_registrations(
    event: NetworkEvent, state: RegistrationState | None = None
) -> list[Registration]:
    states = (state,) if state is not None else ACTIVE_STATES
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.state.in_(states))
            .order_by(Registration.id)
        )
    )


def after_event_change(event: NetworkEvent, *, calendar_change: bool, actor: User) -> None:
    """Inside the edit's transaction: a raised capacity or trust cap promotes from the waiting
    list; a new time or place goes to every confirmed attendee as an updated invitation."""
    promote_waiting(event, actor=actor)
    if calendar_change:
        for registration in _active_registrations(event, RegistrationState.CONFIRMED):
            messages.event_changed(registration)


def after_event_cancelled(event: NetworkEvent) -> None:
    """Inside the cancellation's transaction: tell everyone booked (confirmed or waiting)."""
    for registration in _active_registrations(event):
        messages.event_cancelled(registration)


# The events feature tells this one what happens to an event (portal/events/signals.py).
@signals.capacity_changing.connect
def _capacity_changing(
    event: NetworkEvent, *, capacity: int | None, trust_cap: int | None
) -> str | None:
    return capacity_problem(event, capacity, trust_cap)


signals.event_changed.connect(after_event_change)
signals.event_cancelled.connect(after_event_cancelled)


# --- Changing who comes, and check-in -------------------------------------------------------------


def change_attendee(registration: Registration, attendee: Attendee, *, actor: User) -> None:
    """Correct the details or send a colleague instead: the place is kept, and it is audited."""
    with write_transaction():
        _lock_event(registration.event)
        db.session.refresh(registration)
        if not registration.is_active:
            raise BookingError("This booking has ended and cannot be changed")
        email = attendee.email.strip().lower()
        if email != registration.attendee_email:
            clash = db.session.scalar(
                select(Registration.id).where(
                    Registration.event_id == registration.event_id,
                    Registration.attendee_email == email,
                    Registration.state.in_(ACTIVE_STATES),
                )
            )
            if clash:
                raise BookingError("That person is already booked at this event")
        new_values = {
            "attendee_name": attendee.name.strip(),
            "attendee_email": email,
            "job_role": attendee.job_role,
            "access_needs": attendee.access_needs.strip(),
            "dietary_needs": attendee.dietary_needs.strip(),
        }
        changed = [k for k, v in new_values.items() if getattr(registration, k) != v]
        if not changed:
            db.session.rollback()
            return
        previous_email = registration.attendee_email
        for key, value in new_values.items():
            setattr(registration, key, value)
        registration.updated_at = utcnow()
        if "attendee_email" in changed:
            registration.self_service_key = _new_key()
        record(
            "registration.changed",
            "registration",
            registration.id,
            actor=actor,
            after={"event_id": registration.event_id, "changed": sorted(changed)},
        )
        messages.attendee_changed(
            registration,
            previous_email=previous_email,
            email_changed="attendee_email" in changed,
            colleagues_entry=_calendar_entry(
                registration.event_id, registration.attendee_email, besides=registration.id
            ),
        )
        db.session.commit()


def _calendar_entry(
    event_id: int, email: str, *, besides: int | None = None
) -> tuple[str, int] | None:
    """The UID and next SEQUENCE of the calendar entry that `email` holds for the event from an
    earlier booking (the latest), so that a re-booking continues it; None if they have none."""
    query = select(Registration.calendar_uid, Registration.calendar_sequence).where(
        Registration.event_id == event_id, Registration.attendee_email == email
    )
    if besides is not None:
        query = query.where(Registration.id != besides)
    found = db.session.execute(query.order_by(Registration.id.desc()).limit(1)).first()
    return (found.calendar_uid, found.calendar_sequence) if found else None


def _new_key() -> str:
    return new_self_service_key()


def set_attended(
    registration: Registration, attended: bool, *, actor: User, now: datetime | None = None
) -> None:
    """Check a confirmed attendee in (or undo it). Naming the state makes a double tap harmless."""
    with write_transaction():
        now = now or utcnow()
        db.session.refresh(registration)
        if not registration.is_confirmed:
            raise BookingError("Only people with a confirmed place can be checked in")
        if registration.attended == attended:
            db.session.rollback()
            return
        registration.attended = attended
        registration.checked_in_at = now if attended else None
        registration.updated_at = now
        _audit(
            "registration.checked_in" if attended else "registration.check_in_undone",
            registration,
            actor,
            attended=attended,
        )
        db.session.commit()


def events_attended_by(trust: Trust) -> list[NetworkEvent]:
    """The events at which someone from the trust was checked in, oldest first."""
    attended = select(Registration.event_id).where(
        Registration.trust_id == trust.id, Registration.checked_in_at.is_not(None)
    )
    return list(
        db.session.scalars(
            select(NetworkEvent)
            .where(NetworkEvent.id.in_(attended))
            .order_by(NetworkEvent.event_date, NetworkEvent.id)
        )
    )


# --- A trust's people at events ------------------------------------------------------------------


def waiting_positions(event_ids: list[int]) -> dict[int, int]:
    """Each waiting registration's place in its event's queue (1 is next), by registration id:
    the order `promote_waiting` offers places in."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Registration.id, Registration.event_id)
        .where(
            Registration.event_id.in_(event_ids),
            Registration.state == RegistrationState.WAITLISTED,
        )
        .order_by(Registration.event_id, Registration.waitlisted_at, Registration.id)
    )
    positions: dict[int, int] = {}
    queue_length: Counter[int] = Counter()
    for registration_id, event_id in rows:
        queue_length[event_id] += 1
        positions[registration_id] = queue_length[event_id]
    return positions


@dataclass(frozen=True)
class Waiting:
    """Someone on a waiting list: their place in the queue and why they wait."""

    registration: Registration
    position: int
    reason: str


@dataclass(frozen=True)
class TrustPlaces:
    """One trust's people at one event, and the places the event and the trust have left."""

    event: NetworkEvent
    places: Places
    confirmed: list[Registration]
    waiting: list[Waiting]
    #: How many more of the trust's people would be confirmed if booked now.
    trust_left: int
    #: Bookings that ended: withdrawn, removed, or cancelled with the event.
    ended: list[Registration] = field(default_factory=list)
    #: The most people the trust may have confirmed at the event (None: no limit per trust).
    trust_limit: int | None = None

    @property
    def trust_confirmed(self) -> int:
        return len(self.confirmed)


def waiting_reason(places: Places, trust_confirmed: int, trust_limit: int | None) -> str:
    """Why the trust's waiting people wait, in the words a booker needs."""
    if places.left == 0:
        return "the event is full"
    if trust_limit is not None and trust_confirmed >= trust_limit:
        return f"your trust has used its {trust_limit} places"
    return "a place is free: the coordinator will offer it in turn"


def trust_places_at(events: list[NetworkEvent], trust: Trust) -> dict[int, TrustPlaces]:
    """For each event, the trust's confirmed and waiting people (with their places in the
    queue) and the places left to the trust, read with four queries for any number of events."""
    ids = [event.id for event in events]
    counted = places_for(events)
    mine: dict[int, list[Registration]] = {event_id: [] for event_id in ids}
    if ids:
        for registration in db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id.in_(ids),
                Registration.trust_id == trust.id,
                Registration.state.in_(ACTIVE_STATES),
            )
            # The events and the trust are the ones given, already in the session.
            .options(lazyload(Registration.event), lazyload(Registration.trust))
            .order_by(Registration.attendee_name, Registration.id)
        ):
            mine[registration.event_id].append(registration)
    positions = waiting_positions(ids)
    limits = trust_limits_for(events)
    return {
        event.id: _trust_places(
            event, mine[event.id], counted[event.id], positions, limits[event.id].of(trust.id)
        )
        for event in events
    }


def _trust_places(
    event: NetworkEvent,
    registrations: list[Registration],
    places: Places,
    positions: dict[int, int],
    limit: int | None,
) -> TrustPlaces:
    confirmed = [r for r in registrations if r.is_confirmed]
    left = places.left if limit is None else max(min(places.left, limit - len(confirmed)), 0)
    reason = waiting_reason(places, len(confirmed), limit)
    waiting = sorted(
        (Waiting(r, positions[r.id], reason) for r in registrations if r.is_waitlisted),
        key=lambda w: w.position,
    )
    ended = [r for r in registrations if not r.is_active]
    return TrustPlaces(event, places, confirmed, waiting, left, ended, limit)


@dataclass(frozen=True)
class TrustBookings:
    """A trust's bookings, event by event: events to come (soonest first), then past ones
    (latest first)."""

    upcoming: list[TrustPlaces]
    past: list[TrustPlaces]


def bookings_by_event(trust: Trust) -> TrustBookings:
    """Every booking the trust has made, grouped by event, in five queries."""
    registrations = list(
        db.session.scalars(
            select(Registration)
            .join(Registration.event)
            # The event from the join above rather than joined a second time.
            .options(contains_eager(Registration.event))
            .where(Registration.trust_id == trust.id)
            .order_by(Registration.attendee_name, Registration.id)
        )
    )
    events: dict[int, NetworkEvent] = {}
    by_event: dict[int, list[Registration]] = {}
    for registration in registrations:
        events.setdefault(registration.event_id, registration.event)
        by_event.setdefault(registration.event_id, []).append(registration)
    counted = places_for(list(events.values()))
    positions = waiting_positions(list(events))
    limits = trust_limits_for(list(events.values()))
    today = today_in_london()
    grouped = [
        _trust_places(
            event, by_event[event_id], counted[event_id], positions, limits[event_id].of(trust.id)
        )
        for event_id, event in events.items()
    ]
    upcoming = sorted(
        (g for g in grouped if g.event.event_date >= today),
        key=lambda g: (g.event.event_date, g.event.start_time, g.event.id),
    )
    past = sorted(
        (g for g in grouped if g.event.event_date < today),
        key=lambda g: (g.event.event_date, g.event.start_time, g.event.id),
        reverse=True,
    )
    return TrustBookings(upcoming, past)


def upcoming_bookings_by_region() -> dict[int, int]:
    """Confirmed places at published events still to come, added up by the events' region."""
    rows = db.session.execute(
        select(NetworkEvent.region_id, func.count())
        .join(Registration, Registration.event_id == NetworkEvent.id)
        .where(
            NetworkEvent.state == EventState.PUBLISHED,
            NetworkEvent.event_date >= today_in_london(),
            Registration.state == RegistrationState.CONFIRMED,
        )
        .group_by(NetworkEvent.region_id)
    )
    return {region_id: count for region_id, count in rows}
