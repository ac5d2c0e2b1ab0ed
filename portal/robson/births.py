"""Read an anonymised CSV file of births, one row per woman, into Robson group counts.

The portal keeps counts, never people (see DESIGN.md, "Counts, not patients"). A births file
must hold exactly the seven columns that classify a birth (`COLUMNS`), in any order; the header
is compared case-insensitively with surrounding spaces ignored. Any other column is refused
before a single row is read, whatever it is called: a column the portal does not need is one
that might identify a woman (NHS number, name, date of birth, postcode), and the safe answer is
to take nothing but the seven. The refusal names the extra columns, so the person uploading can
remove them, except when the first line holds none of the seven names: then it is most likely a
row of data rather than a header (a file saved without one), and repeating it on screen could
show a woman's details, so the message does not quote it.

What comes back (`BirthsRead`) is counts only: women and caesareans per group (every code of
`CLASSIFIED_CODES`, zero where no woman), the rows that could not be classified grouped by
reason with a count and the first few line numbers, and the number of rows read. The rows
themselves are dropped when the function returns; line numbers point into the uploader's own
file, so that they can correct it. Decoding, NUL characters, empty rows and line numbering are
`portal.web.csvtools.read_csv`'s, as for the portal's other imports.

A file of more than `MAX_ROWS` rows is refused: that is more births than a trust has in a year,
so it is most likely the wrong file. (The web layer's request size limit bounds the bytes read
before this check.)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from portal.robson.classify import FIELDS, Birth, Unclassifiable, classify, is_caesarean
from portal.robson.groups import CLASSIFIED_CODES, GroupCounts
from portal.web.csvtools import read_csv

#: The columns a births file holds: these and no others.
COLUMNS: tuple[str, ...] = FIELDS
#: More rows than this and the file is refused.
MAX_ROWS = 100_000
#: How many line numbers are kept for each reason a row could not be classified.
LINES_KEPT = 5
#: Extra column names are shown up to this length.
NAME_SHOWN = 40


@dataclass
class ReasonCount:
    """The rows that could not be classified for one reason."""

    reason: str
    count: int = 0
    #: The first LINES_KEPT lines of the file with this reason.
    lines: list[int] = field(default_factory=list)


@dataclass
class BirthsRead:
    """What a births file holds, as counts; `problem` when the whole file was refused."""

    counts: dict[str, GroupCounts] = field(default_factory=dict)
    unclassifiable: dict[str, ReasonCount] = field(default_factory=dict)
    rows: int = 0
    problem: str | None = None

    @property
    def unclassifiable_rows(self) -> int:
        return sum(reason.count for reason in self.unclassifiable.values())

    @property
    def classified_rows(self) -> int:
        return self.rows - self.unclassifiable_rows

    def count_unclassifiable(self, reason: str, line: int) -> None:
        counted = self.unclassifiable.setdefault(reason, ReasonCount(reason))
        counted.count += 1
        if len(counted.lines) < LINES_KEPT:
            counted.lines.append(line)


def _first_row(data: bytes) -> list[str] | None:
    """The cells of the file's first line, or None when read_csv would refuse the file anyway."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    try:
        return next(csv.reader(io.StringIO(text, newline="")))
    except (StopIteration, csv.Error):
        return None


def _shown(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        return "(a column with no name)"
    return repr(name if len(name) <= NAME_SHOWN else name[:NAME_SHOWN] + "…")


def header_problem(first: list[str]) -> str | None:
    """Why a first line is not a header of the seven columns (in any order), or None."""
    names = [cell.strip().lower() for cell in first]
    allowed = ", ".join(COLUMNS)
    if not set(names) & set(COLUMNS):
        return (
            "The first line must be a header naming the columns " + allowed + " (in any "
            "order); it names none of them. Add the header line and upload the file again"
        )
    extra = [cell for cell, name in zip(first, names, strict=True) if name not in COLUMNS]
    if extra:
        return (
            "The file has columns the portal does not accept: "
            + ", ".join(_shown(cell) for cell in extra)
            + ". The portal keeps counts only, never details that could identify a woman "
            "(such as an NHS number, name, date of birth or postcode), so a births file must "
            "hold only the columns " + allowed + ". Delete every other column and upload the "
            "file again"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        return f"The header names {', '.join(repeated)} more than once: name each column once"
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        return (
            "The file has no "
            + ", ".join(missing)
            + (" column" if len(missing) == 1 else " columns")
            + ": a births file needs all of "
            + allowed
        )
    return None


def read_births(data: bytes) -> BirthsRead:
    """Classify every row of an anonymised births file and count the women in each group."""
    first = _first_row(data)
    if first is None:  # not text, NUL characters, empty, bad CSV: read_csv says which
        return BirthsRead(problem=read_csv(data, COLUMNS).problem)
    problem = header_problem(first)
    if problem:
        return BirthsRead(problem=problem)
    header = tuple(cell.strip().lower() for cell in first)
    read = read_csv(data, header)
    if read.problem:
        return BirthsRead(problem=read.problem)
    if not read.rows:
        return BirthsRead(problem="The file has a header but no rows of births")
    if len(read.rows) > MAX_ROWS:
        return BirthsRead(
            problem=f"The file has {len(read.rows):,} rows of births; at most {MAX_ROWS:,} "
            "can be read at once. Is it the right file? If so, split it by period"
        )
    result = BirthsRead(counts={code: GroupCounts(0, 0) for code in CLASSIFIED_CODES})
    for line, cells in read.rows:
        result.rows += 1
        if len(cells) != len(header):
            result.count_unclassifiable(f"the row does not have exactly {len(header)} values", line)
            continue
        birth = Birth(**dict(zip(header, cells, strict=True)))
        group = classify(birth)
        if isinstance(group, Unclassifiable):
            result.count_unclassifiable(group.reason, line)
            continue
        women, caesareans = result.counts[group]
        caesarean = 1 if is_caesarean(birth) else 0
        result.counts[group] = GroupCounts(women + 1, caesareans + caesarean)
    return result
