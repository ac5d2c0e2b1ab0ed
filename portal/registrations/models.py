"""A place (or a place on the waiting list) at a network event, for one attendee."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.events.models import NetworkEvent, new_calendar_uid
from portal.extensions import Model, UTCDateTime, string_enum, utcnow
from portal.regions.models import Trust


class RegistrationState(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"  # by the attendee or their trust
    REMOVED = "removed"  # by the coordinator

    @property
    def label(self) -> str:
        return {
            RegistrationState.CONFIRMED: "Confirmed",
            RegistrationState.WAITLISTED: "Waiting list",
            RegistrationState.WITHDRAWN: "Withdrawn",
            RegistrationState.REMOVED: "Removed",
        }[self]


ACTIVE_STATES = (RegistrationState.CONFIRMED, RegistrationState.WAITLISTED)


class JobRole(enum.StrEnum):
    MIDWIFE = "midwife"
    OBSTETRICIAN = "obstetrician"
    CONSULTANT_MIDWIFE = "consultant_midwife"
    HEAD_OF_MIDWIFERY = "head_of_midwifery"
    SERVICE_MANAGER = "service_manager"
    SERVICE_USER_REPRESENTATIVE = "service_user_representative"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            JobRole.MIDWIFE: "Midwife",
            JobRole.OBSTETRICIAN: "Obstetrician",
            JobRole.CONSULTANT_MIDWIFE: "Consultant midwife",
            JobRole.HEAD_OF_MIDWIFERY: "Head of midwifery",
            JobRole.SERVICE_MANAGER: "Service manager",
            JobRole.SERVICE_USER_REPRESENTATIVE: "Service user representative",
            JobRole.OTHER: "Other",
        }[self]


def new_self_service_key() -> str:
    return secrets.token_urlsafe(16)


class Registration(Model):
    __tablename__ = "registrations"
    __table_args__ = (
        # One active registration per event and e-mail address (stored lower-cased); a withdrawn
        # or removed one does not count, so the person can be booked again.
        Index(
            "uq_registrations_active_email",
            "event_id",
            "attendee_email",
            unique=True,
            sqlite_where=text("state IN ('confirmed', 'waitlisted')"),
            postgresql_where=text("state IN ('confirmed', 'waitlisted')"),
        ),
        Index("ix_registrations_event_state", "event_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("network_events.id"))
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    attendee_name: Mapped[str] = mapped_column(String(120))
    attendee_email: Mapped[str] = mapped_column(String(254))
    job_role: Mapped[JobRole] = mapped_column(string_enum(JobRole, "job_role", 40))
    access_needs: Mapped[str] = mapped_column(Text, default="")
    dietary_needs: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[RegistrationState] = mapped_column(
        string_enum(RegistrationState, "registration_state", 40)
    )
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the person joined the waiting list: their place in it (first come, first served).
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str] = mapped_column(String(20), default="")  # attendee | trust
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    self_service_key: Mapped[str] = mapped_column(String(40), default=new_self_service_key)
    # Reminders already queued, as day counts ("7,1"), so that each goes once.
    reminders_sent: Mapped[str] = mapped_column(String(40), default="")
    # The attendee's own entry for the event in their calendar, made by the invitations we send:
    # its UID (not the feeds' UID, see the README's "Calendars") and the SEQUENCE the next message
    # about it carries. A re-booking of the same person continues the same entry.
    calendar_uid: Mapped[str] = mapped_column(String(80), default=new_calendar_uid)
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0)
    needs_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Indexed: the newest change is part of the public pages' data version (portal/web/pagecache.py).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    event: Mapped[NetworkEvent] = relationship(lazy="joined")
    trust: Mapped[Trust] = relationship(lazy="joined")
    booked_by = relationship("User", lazy="select")

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.state}>"

    @validates("attendee_email")
    def _normalise_email(self, key: str, value: str) -> str:
        return value.strip().lower()

    def next_calendar_sequence(self) -> int:
        """The SEQUENCE for a new calendar message to the attendee: higher than every one before."""
        sequence = self.calendar_sequence
        self.calendar_sequence = sequence + 1
        return sequence

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def is_confirmed(self) -> bool:
        return self.state is RegistrationState.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.state is RegistrationState.WAITLISTED


class TrustAllowance(Model):
    """A coordinator's exception to an event's places per trust: this trust may confirm up to
    `places` people at this event (more than the event's `trust_cap`), never beyond capacity."""

    __tablename__ = "event_trust_allowances"
    __table_args__ = (CheckConstraint("places >= 1", name="places_positive"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("network_events.id", ondelete="CASCADE"), primary_key=True
    )
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), primary_key=True)
    places: Mapped[int] = mapped_column(Integer)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
