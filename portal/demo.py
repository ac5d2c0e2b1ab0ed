"""flask --app app demo: invented data for every screen, each record flagged and tagged "demo"."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.auth.models import Role
from portal.auth.service import create_user, find_by_email
from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import region_by_slug, seed_regions, trust_by_code

DEMO_PASSWORD = "demo-password-2026"

# Invented trusts: the "Z" ODS codes are not issued to real organisations.
DEMO_TRUSTS = (
    ("Northgate Hospitals NHS Foundation Trust", "ZD1", "north-east", True),
    ("Riverside and Dales NHS Trust", "ZD2", "north-east", True),
    ("Tyne Valley Maternity Services NHS Trust", "ZD3", "north-east", False),
    ("Thameside University Hospitals NHS Trust", "ZD4", "london", True),
    ("Eastbrook Hospital NHS Trust", "ZD5", "london", True),
    ("Southwark Green NHS Foundation Trust", "ZD6", "london", False),
    ("Peak and Vale Hospitals NHS Trust", "ZD7", "east-midlands", True),
    ("Trent Meadows NHS Foundation Trust", "ZD8", "east-midlands", True),
    ("Moorland Coast Healthcare NHS Trust", "ZD9", "south-west", True),
    ("Severn Estuary Hospitals NHS Trust", "ZE1", "south-west", False),
)

DEMO_CONTACTS = {
    "north-east": ("Alex Morgan (demo)", "north-east.network@example.org", "0191 000 0000"),
    "london": ("Sam Patel (demo)", "london.network@example.org", "020 0000 0000"),
    "east-midlands": ("Jo Williams (demo)", "east-midlands.network@example.org", "0115 000 0000"),
}

# (e-mail, name, role, region slug, trust ODS code)
DEMO_PEOPLE = (
    ("admin@example.org", "Pat Programme (demo)", Role.ADMIN, None, None),
    (
        "coordinator.north-east@example.org",
        "Alex Morgan (demo)",
        Role.COORDINATOR,
        "north-east",
        None,
    ),
    ("coordinator.london@example.org", "Sam Patel (demo)", Role.COORDINATOR, "london", None),
    ("staff.northgate@example.org", "Chris Lee (demo)", Role.TRUST, None, "ZD1"),
    ("staff.thameside@example.org", "Robin Shah (demo)", Role.TRUST, None, "ZD4"),
)


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create the demo records that are missing; return the demo log-ins (e-mail, role, scope)."""
    seed_regions()
    for name, code, slug, participating in DEMO_TRUSTS:
        if trust_by_code(code) is None:
            region = region_by_slug(slug)
            db.session.add(
                Trust(
                    name=name,
                    ods_code=code,
                    region=region,
                    participating=participating,
                    is_demo=True,
                )
            )
    for slug, (contact, email, phone) in DEMO_CONTACTS.items():
        region = region_by_slug(slug)
        if region is not None and not region.has_contact:
            region.contact_name, region.contact_email, region.contact_phone = contact, email, phone
            region.contact_is_demo = True
    db.session.flush()

    logins = []
    for email, name, role, slug, code in DEMO_PEOPLE:
        user = find_by_email(email)
        if user is None:
            user = create_user(
                email,
                role,
                name=name,
                password=DEMO_PASSWORD,
                region=region_by_slug(slug) if slug else None,
                trust=trust_by_code(code) if code else None,
                is_demo=True,
            )
        logins.append((user.email, user.role.label, user.scope_label))
    return logins


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    click.echo(f"Demo log-ins (password for each: {DEMO_PASSWORD}):")
    width = max(len(email) for email, _, _ in logins)
    for email, role, scope in logins:
        click.echo(f"  {email.ljust(width)}  {role} — {scope}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Add demo data (trusts, contacts, people of every role) and print the demo log-ins.

    Safe to run again: existing demo records are kept. Refused in production.
    """
    if current_app.config["PRODUCTION"]:
        raise click.ClickException(
            "Demo data is never loaded in production (PORTAL_ENV=production)."
        )
    logins = load_demo_data()
    db.session.commit()
    print_logins(logins)
