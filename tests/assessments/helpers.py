"""Framework files for the toolkit's tests: invented wording, written as a spreadsheet would."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from portal.assessments.service import CSV_HEADER

LABELS = ("Not yet", "Starting", "Mostly", "Always")


def framework_rows(
    characteristics: Iterable[tuple[str, str, str]] = (
        ("vbac", "VB1", "Invented VBAC characteristic one"),
        ("vbac", "VB2", "Invented VBAC characteristic two"),
        ("first-pregnancy", "FP1", "Invented first pregnancy characteristic"),
    ),
    positions: int = 4,
) -> list[list[str]]:
    """One row per position of each characteristic, positions 1 to `positions`."""
    return [
        [pathway, code, wording, str(n), LABELS[(n - 1) % 4], f"Invented description {code} {n}"]
        for pathway, code, wording in characteristics
        for n in range(1, positions + 1)
    ]


def framework_csv(
    rows: Sequence[Sequence[str]] | None = None, header: Sequence[str] = CSV_HEADER
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(framework_rows() if rows is None else rows)
    return out.getvalue().encode()
