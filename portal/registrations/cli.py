"""flask --app app privacy purge | erase EMAIL"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.database import TryAgain, write_transaction
from portal.extensions import db
from portal.registrations.privacy import erase_person, purge

privacy_cli = AppGroup(
    "privacy", help="Erase attendees' personal data when it is no longer needed."
)


@privacy_cli.command("purge")
def purge_command() -> None:
    """Erase attendees' details PURGE_AFTER_DAYS (default 365) after their event, and access and
    dietary needs PURGE_NEEDS_AFTER_DAYS (default 30) after it. Counts per trust and job role stay.
    Run it daily."""
    try:
        with write_transaction():
            report = purge()
            db.session.commit()
    except TryAgain as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(report))


@privacy_cli.command("erase")
@click.argument("email")
def erase_command(email: str) -> None:
    """Erase every booking of the person with EMAIL (their active bookings are withdrawn first)."""
    try:
        report = erase_person(email, actor=None)
    except TryAgain as exc:
        raise click.ClickException(str(exc)) from exc
    if not report.registrations:
        raise click.ClickException(f"No bookings for {email.strip().lower()}.")
    click.echo(str(report))
