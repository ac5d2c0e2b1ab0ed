"""Accounts: creating people, checking passwords, changing them."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, bindparam, delete, or_, select, update

from portal.audit.service import record
from portal.auth.models import Role, SignedInSession, User
from portal.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwords
from portal.database import write_transaction
from portal.extensions import db, utcnow
from portal.regions.models import Region, Trust


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the person."""


def normalise_email(address: str) -> str:
    """Check an e-mail address's syntax and return it lower-cased; raise AccountError if invalid."""
    try:
        result = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(f"Enter a valid e-mail address: {exc}") from exc
    return result.normalized.lower()


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if password.strip() == "":
        return "Password must not be only spaces"
    return None


def find_by_email(address: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == address.strip().lower()))


def create_user(
    email: str,
    role: Role | str,
    *,
    name: str = "",
    password: str | None = None,
    region: Region | None = None,
    trust: Trust | None = None,
    actor: User | None = None,
    is_demo: bool = False,
) -> User:
    """Create a person with a role and its scope; the caller commits."""
    try:
        role = Role(role)
    except ValueError as exc:
        raise AccountError("Role must be one of: admin, coordinator, trust") from exc
    email = normalise_email(email)
    if role is Role.COORDINATOR and region is None:
        raise AccountError("A coordinator needs a region (--region SLUG)")
    if role is Role.TRUST and trust is None:
        raise AccountError("Trust staff need a trust (--trust ODS_CODE)")
    if role is not Role.COORDINATOR and region is not None:
        raise AccountError("Only coordinators have a region")
    if role is not Role.TRUST and trust is not None:
        raise AccountError("Only trust staff have a trust")
    if find_by_email(email) is not None:
        raise AccountError(f"A person with the e-mail address {email} already exists")
    if password is not None and (problem := password_problem(password)):
        raise AccountError(problem)

    user = User(
        email=email,
        name=name.strip(),
        role=role,
        region=region,
        trust=trust,
        password_hash=passwords().hash(password) if password is not None else None,
        is_demo=is_demo,
    )
    db.session.add(user)
    db.session.flush()
    record(
        "user.created",
        "user",
        user.id,
        actor=actor,
        after={
            "role": role.value,
            "region": region.slug if region else None,
            "trust": trust.ods_code if trust else None,
        },
    )
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active person with this e-mail address and password, or None. Changes nothing.

    Unknown addresses verify a dummy hash, so that both paths take the same time.
    """
    user = find_by_email(email) if email else None
    if user is None or user.password_hash is None:
        passwords().verify(None, password)
        return None
    if not passwords().verify(user.password_hash, password):
        return None
    if not user.active:
        return None
    return user


# --- Signed-in sessions -----------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """A person who has just signed in, and the key of their new session (for the cookie)."""

    user: User
    session_key: str


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _open_session(user: User, lifetime: timedelta) -> str:
    """Start a session for the person inside the caller's write transaction; returns its key.

    The person's ended and outlived sessions are cleared at the same time, so the table holds
    about one row per device in use.
    """
    now = utcnow()
    db.session.execute(
        delete(SignedInSession).where(
            SignedInSession.user_id == user.id,
            or_(SignedInSession.ended_at.is_not(None), SignedInSession.started_at < now - lifetime),
        )
    )
    key = secrets.token_urlsafe(32)
    db.session.add(SignedInSession(user_id=user.id, key_hash=_key_hash(key), started_at=now))
    user.last_sign_in_at = now
    return key


def sign_in_with_password(email: str, password: str, *, lifetime: timedelta) -> SignedIn | None:
    """Check the password and open a session, or None for a wrong address or password.

    The slow password check runs before the write lock is taken, so that people signing in
    together queue only for the short write.
    """
    user = authenticate(email, password)
    if user is None:
        return None
    checked_hash = user.password_hash
    assert checked_hash is not None  # authenticate() returns only people with a password
    new_hash = passwords().hash(password) if passwords().needs_rehash(checked_hash) else None
    with write_transaction():
        user = db.session.get(User, user.id, populate_existing=True)
        # The password was changed, or the person deactivated, while it was being checked.
        if user is None or not user.active or user.password_hash != checked_hash:
            return None
        if new_hash is not None:
            user.password_hash = new_hash
        key = _open_session(user, lifetime)
        db.session.commit()
    return SignedIn(user, key)


def start_session(user: User, *, lifetime: timedelta) -> str:
    """Open a session for someone whose identity another step proved (a new password set
    through an invitation or reset link, inside that step's write transaction)."""
    return _open_session(user, lifetime)


@functools.cache
def _open_session_person() -> Select[User]:
    """The query behind every signed-in request, built once: its values are bound parameters."""
    return (
        select(User)
        .join(SignedInSession, SignedInSession.user_id == User.id)
        .where(
            User.id == bindparam("user_id"),
            User.active.is_(True),
            User.session_version == bindparam("version"),
            SignedInSession.key_hash == bindparam("key_hash"),
            SignedInSession.ended_at.is_(None),
            SignedInSession.started_at > bindparam("since"),
        )
    )


def session_person(user_id: int, version: int, key: str, *, lifetime: timedelta) -> User | None:
    """The person a session cookie names, if that session is still open: not signed out, not
    older than its lifetime, not ended by a password change or deactivation. One query."""
    if not key:
        return None
    return db.session.scalar(
        _open_session_person(),
        {
            "user_id": user_id,
            "version": version,
            "key_hash": _key_hash(key),
            "since": utcnow() - lifetime,
        },
    )


def end_session(key: str) -> None:
    """Sign a session out on the server: its cookie, or any copy of it, no longer signs in."""
    if not key:
        return
    with write_transaction():
        db.session.execute(
            update(SignedInSession)
            .where(SignedInSession.key_hash == _key_hash(key), SignedInSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        db.session.commit()


def end_other_sessions(user: User, keep_key: str | None = None) -> None:
    """End every open session of the person but `keep_key`'s, inside the caller's transaction."""
    condition = [SignedInSession.user_id == user.id, SignedInSession.ended_at.is_(None)]
    if keep_key:
        condition.append(SignedInSession.key_hash != _key_hash(keep_key))
    db.session.execute(update(SignedInSession).where(*condition).values(ended_at=utcnow()))


# --- Changes people make to their own account ----------------------------------------------


def change_password(user: User, current: str, new: str, *, session_key: str | None) -> None:
    """Change a password after checking the current one; ends the person's other sessions."""
    if not passwords().verify(user.password_hash, current):
        raise AccountError("Your current password is not correct")
    if problem := password_problem(new):
        raise AccountError(problem)
    new_hash = passwords().hash(new)
    with write_transaction():
        db.session.refresh(user)
        user.password_hash = new_hash
        user.session_version += 1
        end_other_sessions(user, keep_key=session_key)
        record("user.password_changed", "user", user.id, actor=user)
        db.session.commit()


def update_name(user: User, name: str) -> None:
    with write_transaction():
        db.session.refresh(user)
        before = user.name
        user.name = name.strip()
        if before != user.name:
            record(
                "user.updated",
                "user",
                user.id,
                actor=user,
                before={"name": before},
                after={"name": user.name},
            )
        db.session.commit()
