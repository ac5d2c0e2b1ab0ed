"""`flask toolkit import FILE.csv`: a new version of the toolkit's framework, from the command
line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.assessments.service import CSV_HEADER, ToolkitError, apply_import, plan_import
from portal.database import TryAgain

toolkit_cli = AppGroup("toolkit", help='The "Pathways to success" toolkit framework.')


@toolkit_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--note", default="", help="A note kept with the version (one line).")
def import_command(csv_file: Path, note: str) -> None:
    """Load CSV_FILE as a new version of the toolkit's framework.

    The header: pathway,characteristic_code,characteristic,position,position_label,
    position_description (one row per position; positions 1 to n for each characteristic).
    Nothing is loaded unless every row is good; a file identical to the current version is not
    loaded again. Versions already loaded are never changed.
    """
    plan = plan_import(csv_file.read_bytes())
    if plan.problem:
        raise click.ClickException(plan.problem)
    for row in plan.rejected:
        click.echo(f"Line {row.line}: {row.reason}", err=True)
    if plan.rejected:
        raise click.ClickException(
            f"{len(plan.rejected)} row(s) cannot be loaded, so nothing was loaded. "
            "Fix them and run the import again."
        )
    if plan.unchanged:
        click.echo(
            f"No change: the file is the same as version {plan.current_number}, "
            "so nothing was loaded."
        )
        return
    try:
        version = apply_import(plan, None, csv_file.name, note=note)
    except (ToolkitError, TryAgain) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Loaded version {version.number}: {len(plan.characteristics)} characteristics with "
        f"{plan.positions} positions ({len(plan.added)} added, {len(plan.removed)} left out, "
        f"{len(plan.reworded)} reworded since the version before; header {','.join(CSV_HEADER)})."
    )
