"""People who sign in: the programme team, SHA coordinators and trust staff."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.extensions import Model, UTCDateTime, utcnow
from portal.regions.models import Region, Trust


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    TRUST = "trust"

    @property
    def label(self) -> str:
        return {
            Role.ADMIN: "Programme team",
            Role.COORDINATOR: "SHA coordinator",
            Role.TRUST: "Trust staff",
        }[self]

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: "a member of the programme team", "an SHA coordinator"."""
        return {
            Role.ADMIN: "a member of the programme team",
            Role.COORDINATOR: "an SHA coordinator",
            Role.TRUST: "trust staff",
        }[self]


class User(Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint(
            "(role = 'coordinator' AND region_id IS NOT NULL AND trust_id IS NULL)"
            " OR (role = 'trust' AND trust_id IS NOT NULL AND region_id IS NULL)"
            " OR (role = 'admin' AND region_id IS NULL AND trust_id IS NULL)",
            name="role_scope",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored lower-cased (checked by the database), so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="user_role",
            native_enum=False,
            length=20,
            values_callable=lambda roles: [r.value for r in roles],
        )
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    trust_id: Mapped[int | None] = mapped_column(ForeignKey("trusts.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Raised to end every session of this person (password change, reset, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The SHA-256 (hex) of the secret in this person's private calendar feed URL: the URL itself
    # is shown once, when it is made; a new one replaces it. When the current one was made.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    feed_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region | None] = relationship(lazy="joined")
    trust: Mapped[Trust | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

    @validates("email")
    def _normalise_email(self, key: str, value: str) -> str:
        return value.strip().lower()

    # Flask-Login protocol -----------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The session version travels in the id, so raising it signs out every other session.
        return f"{self.id}.{self.session_version}"

    # Scope ----------------------------------------------------------------------------------
    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def is_trust_staff(self) -> bool:
        return self.role is Role.TRUST

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def scope_label(self) -> str:
        if self.role is Role.COORDINATOR and self.region is not None:
            return self.region.name
        if self.role is Role.TRUST and self.trust is not None:
            return self.trust.name
        return "All regions"

    @property
    def home_region(self) -> Region | None:
        """The region this person works in: their own, or their trust's."""
        if self.region is not None:
            return self.region
        if self.trust is not None:
            return self.trust.region
        return None


class SignedInSession(Model):
    """One signed-in session, so that signing out ends it on the server, not only in the browser.

    The cookie holds a random key; only its hash is stored. A session counts while it has not
    ended and is younger than the session lifetime (portal.auth.sessions).
    """

    __tablename__ = "signed_in_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
