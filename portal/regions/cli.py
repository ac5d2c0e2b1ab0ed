"""flask --app app seed; flask --app app trusts import FILE.csv"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from portal.database import TryAgain
from portal.extensions import db
from portal.regions.service import (
    ImportConflict,
    apply_trust_import,
    plan_trust_import,
    seed_regions,
)


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the reference data: the ten SHA regions. Safe to run again."""
    created, updated = seed_regions()
    db.session.commit()
    click.echo(f"Regions: {created} created, {updated} updated, ten in all.")


trusts_cli = AppGroup("trusts", help="Manage NHS trusts.")


@trusts_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows even when some rows are rejected.",
)
def import_command(csv_file: Path, skip_invalid: bool) -> None:
    """Create or update trusts from CSV_FILE (header: name,ods_code,region,participating).

    Trusts are matched by ODS code. Nothing changes if any row is invalid, unless --skip-invalid.
    """
    plan = plan_trust_import(csv_file.read_bytes())
    if plan.problem:
        raise click.ClickException(plan.problem)
    for row in plan.rejected:
        click.echo(f"Row {row.line}: {row.reason}", err=True)
    if plan.rejected and not skip_invalid:
        raise click.ClickException(
            f"{len(plan.rejected)} invalid row(s); nothing was imported. Fix them, or use "
            "--skip-invalid to import the valid rows."
        )
    try:
        created, updated = apply_trust_import(plan)
    except (ImportConflict, TryAgain) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Trusts: {created} created, {updated} updated, {len(plan.unchanged)} unchanged, "
        f"{len(plan.rejected)} rejected."
    )
