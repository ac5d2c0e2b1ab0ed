"""Network events: one-day events that an SHA region holds for its trusts."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, UTCDateTime, utcnow
from portal.regions.models import Region
from portal.web.dates import LONDON, local_instant, programme_year_label


class EventState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


def new_calendar_uid() -> str:
    """A permanent, random calendar UID (RFC 5545 asks for global uniqueness)."""
    return f"{secrets.token_hex(16)}@cs-network-portal"


class NetworkEvent(Model):
    __tablename__ = "network_events"
    __table_args__ = (
        # The per-region limit: each event that is not cancelled holds one numbered slot of its
        # region's programme year; the service hands out slots 1..EVENTS_PER_REGION only.
        UniqueConstraint("region_id", "programme_year", "slot", name="uq_network_events_slot"),
        CheckConstraint("slot IS NULL OR slot >= 1", name="slot_positive"),
        CheckConstraint(
            "(state = 'cancelled' AND slot IS NULL) OR (state <> 'cancelled' AND slot IS NOT NULL)",
            name="slot_held_unless_cancelled",
        ),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint("capacity BETWEEN 1 AND 1000", name="capacity_range"),
        CheckConstraint(
            "trust_cap IS NULL OR (trust_cap >= 1 AND trust_cap <= capacity)",
            name="trust_cap_range",
        ),
        CheckConstraint("registration_deadline <= event_date", name="deadline_by_event_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True, default=new_calendar_uid)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    event_date: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    venue_name: Mapped[str] = mapped_column(String(160), default="")
    venue_address: Mapped[str] = mapped_column(Text, default="")
    venue_postcode: Mapped[str] = mapped_column(String(10), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    trust_cap: Mapped[int | None] = mapped_column(Integer)
    registration_deadline: Mapped[date] = mapped_column(Date)
    open_to_all_regions: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[EventState] = mapped_column(
        Enum(
            EventState,
            name="event_state",
            native_enum=False,
            length=20,
            values_callable=lambda states: [s.value for s in states],
        ),
        default=EventState.DRAFT,
        index=True,
    )
    programme_year: Mapped[int] = mapped_column(Integer)
    slot: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the trusts that may book were told of the event by e-mail (once per event).
    trusts_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<NetworkEvent {self.id} {self.state}>"

    @property
    def is_draft(self) -> bool:
        return self.state is EventState.DRAFT

    @property
    def is_published(self) -> bool:
        return self.state is EventState.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.state is EventState.CANCELLED

    @property
    def starts_at(self) -> datetime:
        """The start as an aware instant in Europe/London (compare it with any aware datetime)."""
        return local_instant(self.event_date, self.start_time)

    @property
    def ends_at(self) -> datetime:
        return local_instant(self.event_date, self.end_time)

    @property
    def registration_closes_at(self) -> datetime:
        """Booking closes at 23:59 Europe/London on the deadline day."""
        return datetime.combine(self.registration_deadline, time(23, 59), tzinfo=LONDON)

    @property
    def registration_is_open(self) -> bool:
        """Published, not cancelled, and before 23:59 London time on the deadline day."""
        return self.is_published and datetime.now(LONDON) < self.registration_closes_at

    def has_started(self, now: datetime) -> bool:
        return now >= self.starts_at

    def is_past(self, now: datetime) -> bool:
        return now >= self.ends_at

    @property
    def has_venue(self) -> bool:
        return bool(self.venue_name or self.venue_address or self.venue_postcode)

    @property
    def is_online(self) -> bool:
        return bool(self.online_url)

    @property
    def place_label(self) -> str:
        """Where it happens, for lists and calendars: the venue, 'Online', or both."""
        if self.has_venue and self.is_online:
            return f"{self.venue_name or self.venue_postcode} and online"
        if self.has_venue:
            return self.venue_name or self.venue_postcode
        return "Online"

    @property
    def programme_year_label(self) -> str:
        return programme_year_label(self.programme_year)
