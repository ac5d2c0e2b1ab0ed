"""`flask measures import FILE.csv`: monthly counts for any trust, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.database import TryAgain
from portal.measures.service import (
    CSV_HEADER,
    MeasureError,
    apply_counts_import,
    plan_counts_import,
)

measures_cli = AppGroup("measures", help="Monthly counts of births and caesarean sections.")


@measures_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(csv_file: Path) -> None:
    """Add or correct monthly counts from CSV_FILE, for any trust.

    The header: ods_code,month,deliveries,caesareans_elective,caesareans_emergency,
    normal_births,previous_caesarean,vbac (month as YYYY-MM). Nothing changes unless every row is
    good.
    """
    plan = plan_counts_import(csv_file.read_bytes(), may_import=lambda _trust: True)
    if plan.problem:
        raise click.ClickException(plan.problem)
    for row in plan.rejected:
        click.echo(f"Line {row.line}: {row.reason}", err=True)
    if plan.rejected:
        raise click.ClickException(
            f"{len(plan.rejected)} row(s) cannot be imported, so nothing was imported. "
            "Fix them and run the import again."
        )
    try:
        added, corrected = apply_counts_import(plan, actor=None)
    except (MeasureError, TryAgain) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Months: {added} added, {corrected} corrected, {plan.count('unchanged')} unchanged "
        f"(header {','.join(CSV_HEADER)})."
    )
