"""Who may act where: the questions every feature asks about a person, asked one way.

Each takes whoever is asking: a signed-in `User`, or Flask-Login's anonymous visitor (or None),
who may do none of these things.
"""

from __future__ import annotations

from typing import TypeGuard

from portal.auth.models import User


def signed_in(person: object) -> TypeGuard[User]:
    """Whether `person` is a signed-in member of the portal (not an anonymous visitor)."""
    return isinstance(person, User) and person.is_authenticated


def manages_region(person: object, region_id: int) -> bool:
    """The programme team manage every region; a coordinator manages their own."""
    return signed_in(person) and (
        person.is_admin or (person.is_coordinator and person.region_id == region_id)
    )


def is_staff_of(person: object, trust_id: int) -> bool:
    """Trust staff act for their own trust only."""
    return signed_in(person) and person.is_trust_staff and person.trust_id == trust_id


def manages_trust_staff(person: object, staff: User) -> bool:
    """Who may look after a member of a trust's staff (resend or revoke an invitation): the
    programme team, and the coordinator of the trust's region."""
    if not signed_in(person):
        return False
    if person.is_admin:
        return True
    return (
        staff.is_trust_staff
        and staff.trust is not None
        and manages_region(person, staff.trust.region_id)
    )
