"""flask --app app users …"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from portal.auth.models import Role
from portal.auth.service import AccountError, create_user, password_problem
from portal.extensions import db
from portal.regions.service import region_by_slug, trust_by_code

users_cli = AppGroup("users", help="Manage the people who can sign in.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="admin (programme team), coordinator (SHA coordinator) or trust (trust staff).",
)
@click.option("--region", "region_slug", help="Region slug, for a coordinator (e.g. london).")
@click.option("--trust", "ods_code", help="Trust ODS code, for trust staff (e.g. RJ1).")
@click.option("--name", default="", help="Full name.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password as one line from standard input instead of prompting twice.",
)
def create_command(
    email: str,
    role: str,
    region_slug: str | None,
    ods_code: str | None,
    name: str,
    password_stdin: bool,
) -> None:
    """Create a person who can sign in with EMAIL."""
    region = trust = None
    if region_slug:
        region = region_by_slug(region_slug.strip().lower())
        if region is None:
            raise click.ClickException(
                f"No region with the slug {region_slug!r}. Run 'flask --app app seed' first, "
                "or see the slugs in the README."
            )
    if ods_code:
        trust = trust_by_code(ods_code)
        if trust is None:
            raise click.ClickException(f"No trust with the ODS code {ods_code.upper()!r}.")

    if password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.ClickException("No password on standard input.")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if problem := password_problem(password):
        raise click.ClickException(problem)

    try:
        user = create_user(email, role, name=name, password=password, region=region, trust=trust)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.label.lower()} {user.email} ({user.scope_label}).")
