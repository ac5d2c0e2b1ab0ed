"""Bringing people in and managing them: invitations, roles, deactivation, password resets."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.audit.service import record
from portal.auth import tokens
from portal.auth.models import Role, User
from portal.auth.passwords import passwords
from portal.auth.permissions import manages_region, manages_trust_staff, signed_in
from portal.auth.service import (
    AccountError,
    SignedIn,
    create_user,
    end_other_sessions,
    find_by_email,
    password_problem,
    start_session,
)
from portal.auth.tokens import AccountToken, TokenPurpose
from portal.database import rows_matched, write_transaction
from portal.extensions import db, utcnow
from portal.mail.service import queue_message
from portal.regions.models import Region, Trust
from portal.web.urls import absolute_url

SIGN_OFF = "The caesarean section network programme team"


def can_invite(actor: object, role: Role, region: Region | None, trust: Trust | None) -> bool:
    """The programme team invite anyone; a coordinator invites staff of their own region's trusts."""
    if not signed_in(actor) or not actor.active:
        return False
    if actor.is_admin:
        return True
    return (
        actor.is_coordinator
        and role is Role.TRUST
        and trust is not None
        and manages_region(actor, trust.region_id)
    )


def can_manage_person(actor: object, person: User) -> bool:
    """Who may resend or revoke someone's invitation."""
    return manages_trust_staff(actor, person)


def person_for_manager(actor: object, user_id: int) -> User | None:
    """The person if `actor` may manage them; None (a 404) for anyone else."""
    person = db.session.get(User, user_id)
    if person is None or not can_manage_person(actor, person):
        return None
    return person


def _invitation_mail(person: User, raw: str, actor: User) -> None:
    days = int(current_app.config["INVITATION_DAYS"])
    link = absolute_url("auth.accept_invitation", token=raw)
    text = (
        f"Dear {person.name or person.email},\n\n"
        f"{actor.display_name} has invited you to the caesarean section network portal as "
        f"{person.role.in_sentence} ({person.scope_label}).\n\n"
        f"Set your password here within {days} days: {link}\n\n"
        "The link works once, and only for this e-mail address. If you did not expect this "
        "invitation, you can ignore this e-mail.\n\n"
        f"{SIGN_OFF}\n"
    )
    queue_message(
        to=person.email,
        subject="You are invited to the caesarean section network portal",
        text=text,
        kind="user.invitation",
        related_type="user",
        related_id=person.id,
    )


def invite(
    email: str,
    role: Role,
    *,
    actor: User,
    name: str = "",
    region: Region | None = None,
    trust: Trust | None = None,
) -> User:
    """Create the person without a password and e-mail them a single-use link."""
    if not can_invite(actor, role, region, trust):
        raise AccountError("You can only invite staff of your own region's trusts")
    with write_transaction():
        person = create_user(email, role, name=name, region=region, trust=trust, actor=actor)
        raw = tokens.issue(
            person.id,
            TokenPurpose.INVITATION,
            timedelta(days=int(current_app.config["INVITATION_DAYS"])),
            created_by_id=actor.id,
        )
        record("user.invited", "user", person.id, actor=actor, after={"role": role.value})
        _invitation_mail(person, raw, actor)
        db.session.commit()
    return person


def resend_invitation(person: User, *, actor: User) -> None:
    if not can_manage_person(actor, person):
        raise AccountError("You cannot manage this person's invitation")
    with write_transaction():
        db.session.refresh(person)
        if person.password_hash is not None:
            raise AccountError("This person has already accepted their invitation")
        raw = tokens.issue(
            person.id,
            TokenPurpose.INVITATION,
            timedelta(days=int(current_app.config["INVITATION_DAYS"])),
            created_by_id=actor.id,
        )
        record("user.invitation_resent", "user", person.id, actor=actor)
        _invitation_mail(person, raw, actor)
        db.session.commit()


def revoke_invitation(person: User, *, actor: User) -> None:
    if not can_manage_person(actor, person):
        raise AccountError("You cannot manage this person's invitation")
    with write_transaction():
        if tokens.revoke_all(person.id, TokenPurpose.INVITATION):
            record("user.invitation_revoked", "user", person.id, actor=actor)
        db.session.commit()


class LinkProblem(ValueError):
    """An invitation or reset link that cannot be used; the message is for the person."""


def usable_token(raw: str, purpose: TokenPurpose, now: datetime | None = None) -> AccountToken:
    now = now or utcnow()
    token = tokens.find(raw, purpose)
    noun = "invitation" if purpose is TokenPurpose.INVITATION else "password reset link"
    if token is None:
        raise LinkProblem(
            f"This {noun} is not valid. Check you copied the whole link from the e-mail."
        )
    if token.used_at is not None:
        raise LinkProblem(f"This {noun} has already been used. Each link works once.")
    if token.revoked_at is not None:
        raise LinkProblem(
            f"This {noun} has been replaced or withdrawn. Use the newest e-mail, or ask for a new one."
        )
    if now >= token.expires_at:
        raise LinkProblem(f"This {noun} has expired. Ask for a new one.")
    if not token.user.active:
        raise LinkProblem("This account has been deactivated. Contact the programme team.")
    return token


def _use_up(token: AccountToken, noun: str, now: datetime) -> None:
    """Mark the link used, or raise LinkProblem if another request used it first.

    A conditional update, so that of several requests racing with one link exactly one wins:
    on PostgreSQL the losers wait for the winner's row lock, then match nothing.
    """
    used = db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.id == token.id,
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if rows_matched(used) != 1:
        raise LinkProblem(f"This {noun} has already been used. Each link works once.")


def accept_invitation(
    raw: str, name: str, password: str, *, lifetime: timedelta, now: datetime | None = None
) -> SignedIn:
    """Set the invited person's name and password and sign them in; the link is used up."""
    usable_token(raw, TokenPurpose.INVITATION, now)
    if problem := password_problem(password):
        raise AccountError(problem)
    new_hash = passwords().hash(password)  # slow: before the write lock
    now = now or utcnow()
    with write_transaction():
        token = usable_token(raw, TokenPurpose.INVITATION, now)
        _use_up(token, "invitation", now)
        person = token.user
        person.name = name.strip()
        person.password_hash = new_hash
        record("user.invitation_accepted", "user", person.id, actor=person)
        key = start_session(person, lifetime=lifetime)
        db.session.commit()
    return SignedIn(person, key)


def change_role(
    person: User, role: Role, *, actor: User, region: Region | None, trust: Trust | None
) -> None:
    """Change someone's role and scope (programme team only)."""
    if not actor.is_admin:
        raise AccountError("Only the programme team can change roles")
    if person.id == actor.id:
        raise AccountError(
            "You cannot change your own role: ask another member of the programme team"
        )
    if role is Role.COORDINATOR and region is None:
        raise AccountError("Choose the coordinator's region")
    if role is Role.TRUST and trust is None:
        raise AccountError("Choose the trust")
    with write_transaction():
        db.session.refresh(person)
        before = {
            "role": person.role.value,
            "region_id": person.region_id,
            "trust_id": person.trust_id,
        }
        person.role = role
        person.region = region if role is Role.COORDINATOR else None
        person.trust = trust if role is Role.TRUST else None
        db.session.flush()
        after = {
            "role": person.role.value,
            "region_id": person.region_id,
            "trust_id": person.trust_id,
        }
        if before != after:
            # What they may do has changed: their sessions start again.
            person.session_version += 1
            end_other_sessions(person)
            record("user.role_changed", "user", person.id, actor=actor, before=before, after=after)
        db.session.commit()


def set_active(person: User, active: bool, *, actor: User) -> None:
    """Deactivate (their sessions end at once) or reactivate."""
    if not actor.is_admin:
        raise AccountError("Only the programme team can deactivate people")
    if person.id == actor.id and not active:
        raise AccountError("You cannot deactivate yourself")
    with write_transaction():
        db.session.refresh(person)
        if person.active == active:
            db.session.rollback()
            return
        person.active = active
        if not active:
            person.session_version += 1
            end_other_sessions(person)
            tokens.revoke_all(person.id, TokenPurpose.INVITATION)
            tokens.revoke_all(person.id, TokenPurpose.PASSWORD_RESET)
        record("user.reactivated" if active else "user.deactivated", "user", person.id, actor=actor)
        db.session.commit()


def request_password_reset(email: str) -> None:
    """E-mail a reset link if the address belongs to an active account with a password; do
    nothing otherwise. The page says the same either way, and is answered before this runs
    (portal.auth.people_routes), so its timing tells nothing either."""
    person = find_by_email(email) if email else None
    if person is None or not person.active or person.password_hash is None:
        return
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    with write_transaction():
        raw = tokens.issue(
            person.id,
            TokenPurpose.PASSWORD_RESET,
            timedelta(minutes=minutes),
            created_by_id=None,
        )
        link = absolute_url("auth.reset_password", token=raw)
        queue_message(
            to=person.email,
            subject="Reset your password for the caesarean section network portal",
            text=(
                f"Dear {person.display_name},\n\n"
                f"Someone asked to reset the password for this e-mail address. To choose a new "
                f"password, open this link within {minutes} minutes: {link}\n\n"
                "The link works once. If you did not ask, ignore this e-mail: your password has not changed.\n\n"
                f"{SIGN_OFF}\n"
            ),
            kind="user.password_reset",
            related_type="user",
            related_id=person.id,
        )
        record("user.password_reset_requested", "user", person.id, actor=None)
        db.session.commit()


def reset_password(
    raw: str, password: str, *, lifetime: timedelta, now: datetime | None = None
) -> SignedIn:
    """Set a new password through a reset link and sign the person in; every other session of
    theirs ends and the link is used up."""
    usable_token(raw, TokenPurpose.PASSWORD_RESET, now)
    if problem := password_problem(password):
        raise AccountError(problem)
    new_hash = passwords().hash(password)  # slow: before the write lock
    now = now or utcnow()
    with write_transaction():
        token = usable_token(raw, TokenPurpose.PASSWORD_RESET, now)
        _use_up(token, "password reset link", now)
        person = token.user
        person.password_hash = new_hash
        person.session_version += 1
        end_other_sessions(person)
        record("user.password_reset", "user", person.id, actor=person)
        key = start_session(person, lifetime=lifetime)
        db.session.commit()
    return SignedIn(person, key)


def is_invited(person: User) -> bool:
    """Invited and not yet accepted."""
    return person.password_hash is None


def invited_in_region(region: Region) -> list[User]:
    """The staff of the region's trusts who were invited and have not yet accepted."""
    return list(
        db.session.scalars(
            select(User)
            .join(Trust, User.trust_id == Trust.id)
            .where(
                Trust.region_id == region.id, User.active.is_(True), User.password_hash.is_(None)
            )
            .order_by(User.created_at, User.email)
        )
    )
