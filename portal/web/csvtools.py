"""CSV downloads that open safely in spreadsheets, and CSV uploads read against their header."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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


@dataclass
class RejectedRow:
    """A row of an uploaded file that cannot be used: the line it starts on, and why."""

    line: int
    reason: str


@dataclass
class CsvRead:
    """A CSV file read against its expected header: each row with the line it starts on, or the
    problem that stops the whole file from being read."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problem: str | None = None


def read_csv(data: bytes, header: Sequence[str]) -> CsvRead:
    """Read a UTF-8 CSV file (with or without a byte order mark) whose first line is `header`.

    Empty rows are left out. A quoted value may hold line breaks, so a row is named by the line
    it starts on. NUL characters are refused: no text file holds them and PostgreSQL cannot
    store them.
    """
    read = CsvRead()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        read.problem = "The file is not UTF-8 text; save it as 'CSV UTF-8' and try again"
        return read
    if "\x00" in text:
        read.problem = "The file holds NUL characters, so it is not CSV UTF-8 text; save it as 'CSV UTF-8' and try again"
        return read
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader)
    except StopIteration:
        read.problem = "The file is empty"
        return read
    except csv.Error as exc:
        read.problem = f"The file is not valid CSV: {exc}"
        return read
    if tuple(h.strip().lower() for h in first) != tuple(header):
        read.problem = (
            "The first line must be the header "
            + ",".join(header)
            + f" (found: {','.join(first) or 'nothing'})"
        )
        return read
    ended = reader.line_num
    try:
        for cells in reader:
            line, ended = ended + 1, reader.line_num
            if any(c.strip() for c in cells):
                read.rows.append((line, cells))
    except csv.Error as exc:
        read.problem = f"The file is not valid CSV near line {ended + 1}: {exc}"
    return read
