from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from portal.auth.models import Role
from portal.auth.passwords import Passwords, passwords
from portal.auth.service import AccountError, authenticate, create_user, sign_in_with_password
from portal.extensions import db
from tests.factories import PASSWORD, make_trust, make_user, region


class VerifySpy:
    """Counts the argon2 verifications a sign-in attempt performs."""

    def __init__(self, target: Passwords, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self.real = target.hasher
        monkeypatch.setattr(target, "hasher", self)

    def verify(self, stored_hash: str, password: str) -> bool:
        self.calls.append(stored_hash)
        return self.real.verify(stored_hash, password)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def test_unknown_address_and_wrong_password_both_verify_a_hash(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user("admin", "known@example.org")
    spy = VerifySpy(passwords(), monkeypatch)

    assert authenticate("known@example.org", "wrong password") is None
    assert authenticate("unknown@example.org", "wrong password") is None

    assert len(spy.calls) == 2
    assert spy.calls[0] == user.password_hash
    assert spy.calls[1] == passwords().dummy_hash
    assert spy.calls[1].startswith("$argon2id$")


def test_a_person_without_a_password_yet_also_verifies_the_dummy(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user("invited@example.org", Role.ADMIN)
    spy = VerifySpy(passwords(), monkeypatch)
    assert authenticate("invited@example.org", "") is None
    assert spy.calls == [passwords().dummy_hash]


def test_passwords_are_stored_as_argon2id_with_the_configured_cost(app: Flask) -> None:
    user = make_user("admin")
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert PASSWORD not in user.password_hash


def test_production_parameters_follow_owasp_guidance() -> None:
    from portal.config import from_environment

    settings = from_environment("/tmp", env={})
    assert (settings["ARGON2_MEMORY_KIB"], settings["ARGON2_TIME_COST"]) == (19456, 2)
    assert settings["ARGON2_PARALLELISM"] == 1


def test_a_hash_made_with_old_parameters_is_upgraded_at_sign_in(app: Flask) -> None:
    user = make_user("admin")
    old = Passwords(memory_kib=32, time_cost=1, parallelism=1)
    user.password_hash = old.hash(PASSWORD)
    db.session.commit()
    signed_in = sign_in_with_password(user.email, PASSWORD, lifetime=timedelta(hours=12))
    assert signed_in is not None and signed_in.user.id == user.id
    db.session.expire_all()
    assert user.password_hash.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert authenticate(user.email, PASSWORD) is user


def test_email_addresses_are_unique_whatever_their_case(app: Flask) -> None:
    make_user("admin", "Pat@Example.org")
    with pytest.raises(AccountError, match="already exists"):
        create_user("PAT@example.ORG", Role.ADMIN, password=PASSWORD)


@pytest.mark.parametrize(
    ("role", "kwargs", "message"),
    [
        (Role.COORDINATOR, {}, "A coordinator needs a region"),
        (Role.TRUST, {}, "Trust staff need a trust"),
        ("janitor", {}, "Role must be one of"),
        (Role.ADMIN, {"password": "short"}, "at least 12 characters"),
    ],
)
def test_create_user_refuses_incomplete_scopes(
    app: Flask, role: Role | str, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        create_user("someone@example.org", role, **kwargs)


def test_a_coordinator_cannot_also_have_a_trust(app: Flask) -> None:
    with pytest.raises(AccountError, match="Only trust staff have a trust"):
        create_user("c@example.org", Role.COORDINATOR, region=region("london"), trust=make_trust())


def test_the_database_refuses_a_coordinator_without_a_region(app: Flask) -> None:
    from sqlalchemy.exc import IntegrityError

    from portal.auth.models import User

    db.session.add(User(email="x@example.org", role=Role.COORDINATOR))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
