"""CSV downloads that open safely in spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, may drop them and read what follows as one): OWASP's "CSV injection".
FORMULA_STARTS = "=+-@\t\r"


def safe_cell(value: object) -> str:
    """The value as text that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_download(
    header: Iterable[str], rows: Iterable[Iterable[object]], filename: str
) -> Response:
    """A UTF-8 CSV attachment (with a byte order mark, so Excel reads it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.content_type = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
