"""`flask robson import FILE.csv`: Robson group counts for any trust, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.database import TryAgain
from portal.measures.service import MeasureError
from portal.robson.service import CSV_HEADER, apply_import, plan_import

robson_cli = AppGroup("robson", help="Robson Ten Group Classification counts.")


@robson_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(csv_file: Path) -> None:
    """Add or correct months of Robson counts from CSV_FILE, for any trust.

    The header: ods_code,month,group,women,caesareans (month as YYYY-MM; one row per trust, month
    and group; each month gives every group, 2 and 4 whole or as 2a and 2b, 4a and 4b). Nothing
    changes unless every row and every month is good.
    """
    plan = plan_import(csv_file.read_bytes(), may_import=lambda _trust: True)
    if plan.problem:
        raise click.ClickException(plan.problem)
    for row in plan.rejected:
        click.echo(f"Line {row.line}: {row.reason}", err=True)
    if plan.rejected:
        raise click.ClickException(
            f"{len(plan.rejected)} row(s) or month(s) cannot be imported, so nothing was "
            "imported. Fix them and run the import again."
        )
    try:
        added, corrected = apply_import(plan, actor=None)
    except (MeasureError, TryAgain) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Months: {added} added, {corrected} corrected, {plan.count('unchanged')} unchanged "
        f"(header {','.join(CSV_HEADER)})."
    )
