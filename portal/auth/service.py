"""Accounts: creating people, checking passwords, changing them."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from portal.audit.service import record
from portal.auth.models import Role, User
from portal.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwords
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
    """The active person with this e-mail address and password, or None.

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
    if passwords().needs_rehash(user.password_hash):
        user.password_hash = passwords().hash(password)
    return user


def note_sign_in(user: User) -> None:
    user.last_sign_in_at = utcnow()


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends the person's other sessions."""
    if not passwords().verify(user.password_hash, current):
        raise AccountError("Your current password is not correct")
    if problem := password_problem(new):
        raise AccountError(problem)
    user.password_hash = passwords().hash(new)
    user.session_version += 1
    record("user.password_changed", "user", user.id, actor=user)


def update_name(user: User, name: str) -> None:
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
