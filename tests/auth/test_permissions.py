"""Who may act where, asked of every kind of person: each case states its one answer."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from portal.auth.models import Role, User
from portal.auth.permissions import is_staff_of, manages_region, manages_trust_staff, signed_in
from tests.factories import make_trust, make_user, region

PEOPLE = ["nobody", "anonymous", "admin", "london_coordinator", "leeds_coordinator", "london_staff"]


@pytest.fixture
def cast(app: Flask) -> dict[str, object]:
    london_trust = make_trust("London Trust", "RL1", "london")
    return {
        "nobody": None,
        "anonymous": AnonymousUserMixin(),
        "admin": make_user(Role.ADMIN, "admin@nhs.example"),
        "london_coordinator": make_user(Role.COORDINATOR, "c.london@nhs.example"),
        "leeds_coordinator": make_user(
            Role.COORDINATOR, "c.yorkshire@nhs.example", region_slug="yorkshire-and-the-humber"
        ),
        "london_staff": make_user(Role.TRUST, "s.london@nhs.example", trust=london_trust),
    }


@pytest.mark.parametrize(
    ("who", "expected"), list(zip(PEOPLE, [False, False, True, True, True, True], strict=True))
)
def test_signed_in(cast: dict[str, object], who: str, expected: bool) -> None:
    assert signed_in(cast[who]) is expected


@pytest.mark.parametrize(
    ("who", "expected"), list(zip(PEOPLE, [False, False, True, True, False, False], strict=True))
)
def test_who_manages_london(cast: dict[str, object], who: str, expected: bool) -> None:
    assert manages_region(cast[who], region("london").id) is expected


@pytest.mark.parametrize(
    ("who", "expected"), list(zip(PEOPLE, [False, False, False, False, False, True], strict=True))
)
def test_who_is_staff_of_the_london_trust(
    cast: dict[str, object], who: str, expected: bool
) -> None:
    staff = cast["london_staff"]
    assert isinstance(staff, User) and staff.trust_id is not None
    assert is_staff_of(cast[who], staff.trust_id) is expected


@pytest.mark.parametrize(
    ("who", "expected"), list(zip(PEOPLE, [False, False, True, True, False, False], strict=True))
)
def test_who_looks_after_a_london_trusts_staff(
    cast: dict[str, object], who: str, expected: bool
) -> None:
    staff = cast["london_staff"]
    assert isinstance(staff, User)
    assert manages_trust_staff(cast[who], staff) is expected
