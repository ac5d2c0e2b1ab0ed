"""The rules for network events: the per-region limit, the life cycle, who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.audit.service import changes, record
from portal.auth.models import Role, User
from portal.auth.permissions import manages_region, signed_in
from portal.database import TryAgain, paginate, write_transaction
from portal.events import signals
from portal.events.locks import lock_event
from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, utcnow
from portal.mail.service import queue_message
from portal.regions.models import Region, Trust
from portal.web.dates import (
    clock_change_problem,
    long_date,
    programme_year,
    programme_year_label,
    short_time,
    today_in_london,
)
from portal.web.urls import absolute_url

# Changes to these fields are ones a calendar must see: they raise the event's SEQUENCE.
CALENDAR_FIELDS = (
    "title",
    "event_date",
    "start_time",
    "end_time",
    "venue_name",
    "venue_address",
    "venue_postcode",
    "online_url",
)
EDITABLE_FIELDS = (
    "title",
    "summary",
    "description",
    "event_date",
    "start_time",
    "end_time",
    "venue_name",
    "venue_address",
    "venue_postcode",
    "online_url",
    "capacity",
    "trust_cap",
    "registration_deadline",
    "open_to_all_regions",
)


class EventError(ValueError):
    """A change to an event that the rules do not allow; the message is for the person."""


class NoEventsLeft(EventError):
    """The region has used every event it may hold in that programme year."""


@dataclass(frozen=True)
class Allowance:
    """How many events a region has planned in a programme year, out of how many allowed."""

    region: Region
    year: int
    planned: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.planned, 0)

    @property
    def year_label(self) -> str:
        return programme_year_label(self.year)

    @property
    def sentence(self) -> str:
        noun = "event" if self.limit == 1 else "events"
        return f"{self.planned} of {self.limit} {noun} planned for {self.year_label}"


def events_limit() -> int:
    return int(current_app.config["EVENTS_PER_REGION"])


def allowance(region: Region, year: int) -> Allowance:
    planned = db.session.scalar(
        select(func.count(NetworkEvent.id)).where(
            NetworkEvent.region_id == region.id,
            NetworkEvent.programme_year == year,
            NetworkEvent.state != EventState.CANCELLED,
        )
    )
    return Allowance(region, year, planned or 0, events_limit())


def no_events_left_message(a: Allowance) -> str:
    return (
        f"{a.region.name} has planned all {a.limit} network events it can hold in "
        f"{a.year_label} (April to March). To plan another, cancel or delete one of them first, "
        "or choose a date in another programme year."
    )


# --- Permissions ------------------------------------------------------------------------------


def can_manage_region(user: object, region: Region) -> bool:
    return manages_region(user, region.id)


def manageable_regions(user: object) -> list[Region]:
    if not signed_in(user):
        return []
    if user.is_admin:
        return list(db.session.scalars(select(Region).order_by(Region.sort_order)))
    if user.is_coordinator and user.region is not None:
        return [user.region]
    return []


def event_for_manager(user: object, event_id: int) -> NetworkEvent | None:
    """The event if this person may manage it; None (a 404) for anyone else."""
    event = db.session.get(NetworkEvent, event_id)
    if event is None or not can_manage_region(user, event.region):
        return None
    return event


def event_for_viewer(user: object, event_id: int) -> NetworkEvent | None:
    """Published and cancelled events for everyone; drafts only for those who manage them."""
    event = db.session.get(NetworkEvent, event_id)
    if event is None:
        return None
    if event.is_draft and not can_manage_region(user, event.region):
        return None
    return event


def public_event(event_id: int) -> NetworkEvent | None:
    """A published or cancelled event; never a draft, whoever asks (booking, calendar files)."""
    event = db.session.get(NetworkEvent, event_id)
    return None if event is None or event.is_draft else event


# --- Slots: the database-enforced limit ---------------------------------------------------------


def _lock_region(region_id: int) -> None:
    """Serialise slot allocation per region. SQLite already holds the database write lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Region.id).where(Region.id == region_id).with_for_update())


def _free_slot(region_id: int, year: int, exclude_event_id: int | None = None) -> int | None:
    query = select(NetworkEvent.slot).where(
        NetworkEvent.region_id == region_id,
        NetworkEvent.programme_year == year,
        NetworkEvent.slot.is_not(None),
    )
    if exclude_event_id is not None:
        query = query.where(NetworkEvent.id != exclude_event_id)
    taken = set(db.session.scalars(query))
    return next((n for n in range(1, events_limit() + 1) if n not in taken), None)


def _commit_with_slot() -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if "slot" in str(exc.orig).lower():
            raise TryAgain() from exc
        raise


# --- Life cycle ------------------------------------------------------------------------------


def _state_for_audit(
    event: NetworkEvent, fields: tuple[str, ...] = EDITABLE_FIELDS
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(event, name)
        out[name] = value.isoformat() if isinstance(value, date | time) else value
    return out


def validate_event_values(values: dict[str, Any], *, today: date | None = None) -> dict[str, str]:
    """Rules that hold whichever way an event is written; field name -> message."""
    problems: dict[str, str] = {}
    today = today or today_in_london()
    event_date = values.get("event_date")
    if event_date is not None and event_date < today:
        problems["event_date"] = "Event date must be today or in the future"
    start, end = values.get("start_time"), values.get("end_time")
    if start is not None and end is not None and end <= start:
        problems["end_time"] = "End time must be after the start time"
    if event_date is not None:
        for name, moment in (("start_time", start), ("end_time", end)):
            if moment is not None and (problem := clock_change_problem(event_date, moment)):
                problems.setdefault(name, problem)
    capacity, cap = values.get("capacity"), values.get("trust_cap")
    if capacity is not None and cap is not None and cap > capacity:
        problems["trust_cap"] = (
            f"Places per trust must be {capacity} or fewer (the event's capacity)"
        )
    deadline = values.get("registration_deadline")
    if deadline is not None and event_date is not None and deadline > event_date:
        problems["registration_deadline"] = "Registration must close on or before the event date"
    has_venue = any(values.get(k) for k in ("venue_name", "venue_address", "venue_postcode"))
    if not has_venue and not values.get("online_url"):
        problems["venue_name"] = "Enter a venue, an online joining link, or both"
    return problems


def create_event(region: Region, values: dict[str, Any], *, actor: User) -> NetworkEvent:
    """Save a new event as a draft, holding one of its region's slots for that programme year."""
    if not can_manage_region(actor, region):
        raise EventError("You can only plan events for your own region")
    values = dict(values)
    if values.get("registration_deadline") is None:
        values["registration_deadline"] = values["event_date"] - timedelta(days=1)
    year = programme_year(values["event_date"])
    with write_transaction():
        _lock_region(region.id)
        slot = _free_slot(region.id, year)
        if slot is None:
            raise NoEventsLeft(no_events_left_message(allowance(region, year)))
        event = NetworkEvent(
            region=region,
            programme_year=year,
            slot=slot,
            state=EventState.DRAFT,
            created_by_id=actor.id,
            updated_by_id=actor.id,
            **{k: values.get(k) for k in EDITABLE_FIELDS if k in values},
        )
        db.session.add(event)
        db.session.flush()
        record("event.created", "event", event.id, actor=actor, after=_state_for_audit(event))
        _commit_with_slot()
    return event


def update_event(event: NetworkEvent, values: dict[str, Any], *, actor: User) -> NetworkEvent:
    """Change an event's details; a change a calendar should see raises its sequence."""
    if not can_manage_region(actor, event.region):
        raise EventError("You can only change your own region's events")
    if event.is_cancelled:
        raise EventError("A cancelled event cannot be changed")
    values = dict(values)
    if values.get("registration_deadline") is None and values.get("event_date") is not None:
        values["registration_deadline"] = values["event_date"] - timedelta(days=1)
    with write_transaction():
        lock_event(event)
        before = _state_for_audit(event)
        new_year = programme_year(values.get("event_date", event.event_date))
        if new_year != event.programme_year:
            _lock_region(event.region_id)
            slot = _free_slot(event.region_id, new_year, exclude_event_id=event.id)
            if slot is None:
                raise NoEventsLeft(no_events_left_message(allowance(event.region, new_year)))
            event.programme_year, event.slot = new_year, slot
        for name in EDITABLE_FIELDS:
            if name in values:
                setattr(event, name, values[name])
        after = _state_for_audit(event)
        old, new = changes(before, after)
        if not new:
            db.session.rollback()
            return event
        answers = signals.capacity_changing.send(
            event, capacity=event.capacity, trust_cap=event.trust_cap
        )
        if problem := next((answer for _, answer in answers if answer), None):
            raise EventError(problem)
        calendar_change = any(name in new for name in CALENDAR_FIELDS)
        if calendar_change:
            event.sequence += 1
        _mark_changed(event, actor)
        record("event.edited", "event", event.id, actor=actor, before=old, after=new)
        if event.is_published:
            signals.event_changed.send(event, calendar_change=calendar_change, actor=actor)
        _commit_with_slot()
    return event


def _mark_changed(event: NetworkEvent, actor: User) -> None:
    """Who changed the event and when: the feeds' DTSTAMP and LAST-MODIFIED come from this."""
    event.updated_by_id = actor.id
    event.updated_at = utcnow()


def publish_event(event: NetworkEvent, *, actor: User) -> NetworkEvent:
    if not can_manage_region(actor, event.region):
        raise EventError("You can only publish your own region's events")
    with write_transaction():
        lock_event(event)
        if event.is_published:
            db.session.rollback()
            return event  # publishing twice is harmless
        if not event.is_draft:
            raise EventError("Only a draft can be published")
        if event.starts_at <= datetime.now(event.starts_at.tzinfo):
            raise EventError("This event's date has passed: change the date before publishing")
        event.state = EventState.PUBLISHED
        event.published_at = utcnow()
        _mark_changed(event, actor)
        record(
            "event.published",
            "event",
            event.id,
            actor=actor,
            before={"state": "draft"},
            after={"state": "published"},
        )
        db.session.commit()
    return event


def cancel_event(event: NetworkEvent, reason: str, *, actor: User) -> NetworkEvent:
    """Cancel a published event: it stays visible, marked, with the reason; its slot is freed."""
    if not can_manage_region(actor, event.region):
        raise EventError("You can only cancel your own region's events")
    reason = reason.strip()
    if not reason:
        raise EventError("Enter the reason for cancelling")
    with write_transaction():
        lock_event(event)
        if event.is_cancelled:
            db.session.rollback()
            return event
        if event.is_draft:
            raise EventError("A draft is not public: delete it instead of cancelling it")
        before = event.state.value
        event.state = EventState.CANCELLED
        event.slot = None
        event.cancelled_reason = reason
        event.cancelled_at = utcnow()
        event.sequence += 1
        _mark_changed(event, actor)
        record(
            "event.cancelled",
            "event",
            event.id,
            actor=actor,
            before={"state": before},
            after={"state": "cancelled", "reason": reason},
        )
        signals.event_cancelled.send(event)
        db.session.commit()
    return event


def delete_draft(event: NetworkEvent, *, actor: User) -> None:
    if not can_manage_region(actor, event.region):
        raise EventError("You can only delete your own region's events")
    with write_transaction():
        lock_event(event)
        if not event.is_draft:
            raise EventError("Only a draft can be deleted; cancel a published event instead")
        record("event.deleted", "event", event.id, actor=actor, before=_state_for_audit(event))
        db.session.execute(delete(NetworkEvent).where(NetworkEvent.id == event.id))
        db.session.commit()


# --- Reading ---------------------------------------------------------------------------------

PAGE_SIZE = 20


@dataclass
class EventPage:
    events: list[NetworkEvent]
    page: int
    pages: int
    total: int
    cancelled: int


def public_events(
    *, region: Region | None = None, past: bool = False, page: int = 1, today: date | None = None
) -> EventPage:
    """Published and cancelled events, upcoming (soonest first) or past (latest first)."""
    today = today or today_in_london()
    query = select(NetworkEvent).where(NetworkEvent.state != EventState.DRAFT)
    if region is not None:
        query = query.where(NetworkEvent.region_id == region.id)
    if past:
        query = query.where(NetworkEvent.event_date < today).order_by(
            NetworkEvent.event_date.desc(), NetworkEvent.start_time.desc(), NetworkEvent.id.desc()
        )
    else:
        query = query.where(NetworkEvent.event_date >= today).order_by(
            NetworkEvent.event_date, NetworkEvent.start_time, NetworkEvent.id
        )
    # Counted without the order, which would make the database sort every row to count them.
    listed = query.order_by(None).subquery()
    total, cancelled = db.session.execute(
        select(func.count(), func.count().filter(listed.c.state == EventState.CANCELLED.value))
    ).one()
    found = paginate(query, page, PAGE_SIZE, total=total)
    return EventPage(found.items, found.number, found.pages, found.total, cancelled)


def upcoming_events(
    limit: int, *, region: Region | None = None, exclude: NetworkEvent | None = None
) -> list[NetworkEvent]:
    today = today_in_london()
    query = select(NetworkEvent).where(
        NetworkEvent.state != EventState.DRAFT, NetworkEvent.event_date >= today
    )
    if region is not None:
        query = query.where(NetworkEvent.region_id == region.id)
    if exclude is not None:
        query = query.where(NetworkEvent.id != exclude.id)
    query = query.order_by(NetworkEvent.event_date, NetworkEvent.start_time, NetworkEvent.id).limit(
        limit
    )
    return list(db.session.scalars(query))


def region_events_for_manager(region: Region | None) -> list[NetworkEvent]:
    """Every event of the region (of every region when None), drafts included: this year's and
    later first, then the past."""
    today = today_in_london()
    current = programme_year(today)
    query = select(NetworkEvent).where(
        or_(NetworkEvent.programme_year >= current, and_(NetworkEvent.event_date >= today))
    )
    if region is not None:
        query = query.where(NetworkEvent.region_id == region.id)
    return list(
        db.session.scalars(query.order_by(NetworkEvent.event_date, NetworkEvent.start_time))
    )


def past_region_events(region: Region) -> list[NetworkEvent]:
    current = programme_year(today_in_london())
    return list(
        db.session.scalars(
            select(NetworkEvent)
            .where(NetworkEvent.region_id == region.id, NetworkEvent.programme_year < current)
            .order_by(NetworkEvent.event_date.desc())
        )
    )


def upcoming_events_open_to(region: Region, limit: int = 20) -> list[NetworkEvent]:
    """Published events to come that a trust of this region may book: its region's and those
    open to every region, soonest first."""
    today = today_in_london()
    return list(
        db.session.scalars(
            select(NetworkEvent)
            .where(
                NetworkEvent.state == EventState.PUBLISHED,
                NetworkEvent.event_date >= today,
                or_(NetworkEvent.region_id == region.id, NetworkEvent.open_to_all_regions),
            )
            .order_by(NetworkEvent.event_date, NetworkEvent.start_time, NetworkEvent.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class YearSlots:
    """A region's events in one programme year, by where they stand, and the slots still free."""

    year: int
    planned: list[NetworkEvent]  # drafts
    published: list[NetworkEvent]  # published, still to come
    held: list[NetworkEvent]  # published, taken place
    limit: int

    @property
    def label(self) -> str:
        return programme_year_label(self.year)

    @property
    def free(self) -> int:
        return max(self.limit - len(self.planned) - len(self.published) - len(self.held), 0)


def year_slots(region: Region, years: list[int]) -> list[YearSlots]:
    """The region's events (cancelled ones left out: they free their slot) in each programme
    year, read with one query."""
    today = today_in_london()
    events = list(
        db.session.scalars(
            select(NetworkEvent)
            .where(
                NetworkEvent.region_id == region.id,
                NetworkEvent.programme_year.in_(years),
                NetworkEvent.state != EventState.CANCELLED,
            )
            .order_by(NetworkEvent.event_date, NetworkEvent.start_time, NetworkEvent.id)
        )
    )
    found = []
    for year in years:
        of_year = [e for e in events if e.programme_year == year]
        found.append(
            YearSlots(
                year,
                [e for e in of_year if e.is_draft],
                [e for e in of_year if e.is_published and e.event_date >= today],
                [e for e in of_year if e.is_published and e.event_date < today],
                events_limit(),
            )
        )
    return found


def events_used_by_region(year: int) -> dict[int, int]:
    """How many events each region has planned (not cancelled) in the programme year."""
    rows = db.session.execute(
        select(NetworkEvent.region_id, func.count())
        .where(NetworkEvent.programme_year == year, NetworkEvent.state != EventState.CANCELLED)
        .group_by(NetworkEvent.region_id)
    )
    return {region_id: count for region_id, count in rows}


# --- Telling the trusts -------------------------------------------------------------------------


def trust_staff_to_tell(event: NetworkEvent) -> list[User]:
    """The people who book for the trusts that may book the event: the active staff (invitation
    accepted) of the region's trusts, or of every trust when the event is open to all regions."""
    query = (
        select(User)
        .join(Trust, User.trust_id == Trust.id)
        .where(User.role == Role.TRUST, User.active.is_(True), User.password_hash.is_not(None))
    )
    if not event.open_to_all_regions:
        query = query.where(Trust.region_id == event.region_id)
    return list(db.session.scalars(query.order_by(User.email)))


def tell_trusts(event: NetworkEvent, *, actor: User) -> int | None:
    """E-mail the trusts that may book a published event that it is open for booking, once per
    event: how many people were told, or None when they had been told already."""
    if not can_manage_region(actor, event.region):
        raise EventError("You can only tell trusts about your own region's events")
    with write_transaction():
        lock_event(event)
        if not event.is_published:
            raise EventError("Only a published event can be announced to the trusts")
        if event.trusts_told_at is not None:
            db.session.rollback()
            return None
        people = trust_staff_to_tell(event)
        for person in people:
            queue_message(
                to=person.email,
                subject=f"New network event: {event.title}",
                text=announcement_text(event, person),
                kind="event.announced",
                related_type="event",
                related_id=event.id,
            )
        event.trusts_told_at = utcnow()
        record(
            "event.trusts_told",
            "event",
            event.id,
            actor=actor,
            after={"people": len(people)},
        )
        db.session.commit()
    return len(people)


def announcement_text(event: NetworkEvent, person: User) -> str:
    where = event.place_label
    who = (
        "every NHS trust in England"
        if event.open_to_all_regions
        else f"the trusts in {event.region.name}"
    )
    return "\n\n".join(
        [
            f"Dear {person.display_name},",
            f"{event.region.name} has published a network event of the caesarean section "
            f"improvement programme, open to {who}:",
            "\n".join(
                [
                    event.title,
                    f"{long_date(event.event_date)}, {short_time(event.start_time)} to "
                    f"{short_time(event.end_time)} (UK time)",
                    where,
                    f"Booking closes on {long_date(event.registration_deadline)} at 11:59pm.",
                ]
            ),
            event.summary,
            f"See the event and book places for colleagues: {absolute_url('events.event', event_id=event.id)}",
            "You are receiving this because you book places for your trust on the network portal.",
        ]
    )
