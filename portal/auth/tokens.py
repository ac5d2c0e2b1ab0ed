"""Single-use, expiring links for invitations and password resets.

Only a hash of each token is stored: the link in the e-mail is the only copy of the secret.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Enum, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, UTCDateTime, db, utcnow


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class AccountToken(Model):
    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(
            TokenPurpose,
            name="token_purpose",
            native_enum=False,
            length=20,
            values_callable=lambda members: [m.value for m in members],
        )
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    user_id: int, purpose: TokenPurpose, lifetime: timedelta, *, created_by_id: int | None
) -> str:
    """A new token for the person (earlier unused ones of the same purpose are revoked)."""
    now = utcnow()
    for old in db.session.scalars(
        select(AccountToken).where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
        )
    ):
        old.revoked_at = now
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=_hash(raw),
            expires_at=now + lifetime,
            created_by_id=created_by_id,
        )
    )
    db.session.flush()
    return raw


def find(raw: str, purpose: TokenPurpose) -> AccountToken | None:
    """The token's record (usable or not), or None for an unknown token."""
    if not raw or len(raw) > 100:
        return None
    return db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _hash(raw), AccountToken.purpose == purpose
        )
    )


def revoke_all(user_id: int, purpose: TokenPurpose) -> int:
    now = utcnow()
    count = 0
    for token in db.session.scalars(
        select(AccountToken).where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
        )
    ):
        token.revoked_at = now
        count += 1
    return count


def pending_invitation(user_id: int) -> AccountToken | None:
    return db.session.scalar(
        select(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == TokenPurpose.INVITATION,
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
        )
        .order_by(AccountToken.id.desc())
        .limit(1)
    )
