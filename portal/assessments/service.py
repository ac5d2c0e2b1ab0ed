"""The rules for the toolkit's framework: reading a CSV file of it (every problem found, with its
line), telling what a new version would change, loading it as a new version (all or nothing,
never touching the versions before it), and reading a version back in order.

The file has one row per position of a characteristic's spectrum:

    pathway,characteristic_code,characteristic,position,position_label,position_description

`pathway` is one of the toolkit's pathway slugs; the rows of one characteristic (one code within
a pathway) give the same wording and positions 1 to n, n at least 2, with no gaps. The order of
characteristics within a pathway is the order they first appear in the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from portal.assessments.models import (
    CODE_LENGTH,
    DESCRIPTION_LENGTH,
    FILENAME_LENGTH,
    LABEL_LENGTH,
    NOTE_LENGTH,
    WORDING_LENGTH,
    Characteristic,
    SpectrumPosition,
    ToolkitVersion,
)
from portal.assessments.pathways import Pathway
from portal.audit.service import record
from portal.auth.permissions import signed_in
from portal.database import write_transaction
from portal.extensions import db
from portal.text import holds_control_character
from portal.web.csvtools import RejectedRow, read_csv

CSV_HEADER = (
    "pathway",
    "characteristic_code",
    "characteristic",
    "position",
    "position_label",
    "position_description",
)
#: More rows than any framework needs (five pathways of a few dozen characteristics, each with a
#: handful of positions): a larger file is the wrong file.
MAX_ROWS = 5000
MIN_POSITIONS = 2
MAX_POSITIONS = 10
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*\Z")
SLUGS = tuple(p.value for p in Pathway)
PATHWAY_ORDER = {p: n for n, p in enumerate(Pathway)}


class ToolkitError(Exception):
    """A framework that cannot be loaded; nothing was changed."""


# --- Reading a version ---------------------------------------------------------------------------


def current_version() -> ToolkitVersion | None:
    """The version loaded last, or None before any."""
    return db.session.scalar(select(ToolkitVersion).order_by(ToolkitVersion.number.desc()).limit(1))


def version_by_number(number: int) -> ToolkitVersion | None:
    return db.session.scalar(select(ToolkitVersion).where(ToolkitVersion.number == number))


def versions() -> list[ToolkitVersion]:
    """Every version, newest first."""
    return list(db.session.scalars(select(ToolkitVersion).order_by(ToolkitVersion.number.desc())))


@dataclass(frozen=True)
class PathwayFramework:
    """One pathway of a version: its characteristics in order, each with its positions."""

    pathway: Pathway
    characteristics: list[Characteristic]


def framework(version: ToolkitVersion) -> list[PathwayFramework]:
    """The version's five pathways in the toolkit's order (a pathway the version does not cover
    has no characteristics), each characteristic with its positions 1 to n."""
    rows = db.session.scalars(
        select(Characteristic)
        .where(Characteristic.version_id == version.id)
        .order_by(Characteristic.place)
        .options(selectinload(Characteristic.positions))
    )
    by_pathway: dict[Pathway, list[Characteristic]] = {p: [] for p in Pathway}
    for row in rows:
        by_pathway[row.pathway].append(row)
    return [PathwayFramework(p, by_pathway[p]) for p in Pathway]


# --- Planning an import --------------------------------------------------------------------------


@dataclass
class PlannedPosition:
    position: int
    label: str
    description: str


@dataclass
class PlannedCharacteristic:
    pathway: str
    code: str
    wording: str
    line: int  # where it first appears
    positions: list[PlannedPosition] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.pathway} {self.code}"


@dataclass
class ToolkitPlan:
    """What loading a file would do. Nothing is loaded unless every row is good and the
    framework differs from the current version."""

    characteristics: list[PlannedCharacteristic] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    problem: str | None = None  # a problem with the whole file
    fingerprint: str = ""  # of the framework's content
    #: The version the plan was made against (its number and fingerprint), None before any.
    current_number: int | None = None
    current_fingerprint: str | None = None
    #: Characteristics ("pathway code") the new version adds, leaves out or words differently.
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reworded: list[str] = field(default_factory=list)

    @property
    def is_readable(self) -> bool:
        return self.problem is None and not self.rejected

    @property
    def unchanged(self) -> bool:
        """The file holds exactly the current version's framework."""
        return self.is_readable and self.fingerprint == self.current_fingerprint

    @property
    def can_apply(self) -> bool:
        return self.is_readable and bool(self.characteristics) and not self.unchanged

    @property
    def positions(self) -> int:
        return sum(len(c.positions) for c in self.characteristics)

    def count_in(self, pathway: Pathway) -> int:
        return sum(1 for c in self.characteristics if c.pathway == pathway.value)


def plan_import(data: bytes) -> ToolkitPlan:
    """Read a framework CSV, check all of it, and compare it with the current version."""
    plan = ToolkitPlan()
    read = read_csv(data, CSV_HEADER)
    if read.problem:
        plan.problem = read.problem
        return plan
    if len(read.rows) > MAX_ROWS:
        plan.problem = (
            f"The file has {len(read.rows):,} rows; a framework has at most {MAX_ROWS:,}: "
            "is it the right file?"
        )
        return plan
    if not read.rows:
        plan.problem = "The file has a header but no rows of characteristics"
        return plan
    found: dict[tuple[str, str], PlannedCharacteristic] = {}
    position_lines: dict[tuple[str, str], dict[int, int]] = {}
    # Characteristics with a row that cannot be read: their own problems are listed, and a gap
    # that row leaves in their positions is not news. A row whose pathway is wrong spoils every
    # characteristic with its code (it was meant for one of them).
    spoiled: set[tuple[str, str]] = set()
    spoiled_codes: set[str] = set()
    for line, cells in read.rows:
        reasons, row = _read_row(cells)
        key = _key_of(cells)
        if row is not None and key is not None:
            planned = found.get(key)
            seen = position_lines.setdefault(key, {})
            if planned is not None and planned.wording != row.wording:
                reasons.append(
                    f"{row.code} ({row.pathway}) is worded differently on line {planned.line}: "
                    "give the characteristic the same wording on each of its rows"
                )
            if row.position in seen:
                reasons.append(
                    f"position {row.position} of {row.code} ({row.pathway}) is also on line "
                    f"{seen[row.position]}"
                )
        if reasons or row is None or key is None:
            plan.rejected.append(RejectedRow(line, "; ".join(reasons) or "cannot be read"))
            if key is not None:
                spoiled.add(key)
                if key[0] not in SLUGS:
                    spoiled_codes.add(key[1])
            continue
        seen[row.position] = line
        if key not in found:
            found[key] = PlannedCharacteristic(row.pathway, row.code, row.wording, line)
        found[key].positions.append(PlannedPosition(row.position, row.label, row.description))
    for key, planned in found.items():
        if key in spoiled or key[1] in spoiled_codes:
            continue
        planned.positions.sort(key=lambda p: p.position)
        numbers = [p.position for p in planned.positions]
        if len(numbers) < MIN_POSITIONS:
            plan.rejected.append(
                RejectedRow(
                    planned.line,
                    f"{planned.code} ({planned.pathway}) has {len(numbers)} position: a spectrum "
                    f"needs at least {MIN_POSITIONS}, numbered from 1",
                )
            )
        elif numbers != list(range(1, len(numbers) + 1)):
            plan.rejected.append(
                RejectedRow(
                    planned.line,
                    f"{planned.code} ({planned.pathway}) has positions "
                    f"{', '.join(map(str, numbers))}: they must run 1, 2, 3 … with no gaps",
                )
            )
    plan.rejected.sort(key=lambda row: row.line)
    plan.characteristics = sorted(
        found.values(), key=lambda c: PATHWAY_ORDER[Pathway(c.pathway)]
    )  # a stable sort: within a pathway, the order of the file
    plan.fingerprint = content_fingerprint(plan.characteristics)
    _compare_with_current(plan)
    return plan


def _key_of(cells: list[str]) -> tuple[str, str] | None:
    """The characteristic a row is about (pathway, code), if the row names one."""
    if len(cells) != len(CSV_HEADER):
        return None
    pathway, code = cells[0].strip().lower(), cells[1].strip()
    return (pathway, code) if pathway and code else None


@dataclass(frozen=True)
class _Row:
    pathway: str
    code: str
    wording: str
    position: int
    label: str
    description: str


def _read_row(cells: list[str]) -> tuple[list[str], _Row | None]:
    """A row's problems (all of them), and the row when it has none."""
    if len(cells) != len(CSV_HEADER):
        return [f"expected {len(CSV_HEADER)} values, found {len(cells)}"], None
    pathway, code, wording, position_text, label, description = (c.strip() for c in cells)
    reasons: list[str] = []
    for name, value in zip(
        CSV_HEADER, (pathway, code, wording, position_text, label, description), strict=True
    ):
        if not value:
            reasons.append(f"{name} is empty")
        elif holds_control_character(value):
            reasons.append(
                f"{name} must be on one line, without tabs or other invisible characters"
            )
    if pathway and pathway.lower() not in SLUGS:
        reasons.append(f"pathway {pathway!r} is not one of {', '.join(SLUGS)}")
    if code and (len(code) > CODE_LENGTH or not CODE.match(code)):
        reasons.append(
            f"characteristic_code {code!r} must be up to {CODE_LENGTH} letters, digits, dots or "
            "hyphens, like FP1"
        )
    for name, value, most in (
        ("characteristic", wording, WORDING_LENGTH),
        ("position_label", label, LABEL_LENGTH),
        ("position_description", description, DESCRIPTION_LENGTH),
    ):
        if len(value) > most:
            reasons.append(f"{name} must be {most:,} characters or fewer (it has {len(value):,})")
    position = 0
    if position_text:
        if position_text.isascii() and position_text.isdigit() and len(position_text) <= 2:
            position = int(position_text)
        if not 1 <= position <= MAX_POSITIONS:
            reasons.append(
                f"position must be a whole number from 1 to {MAX_POSITIONS}, not {position_text!r}"
            )
    if reasons:
        return reasons, None
    return [], _Row(pathway.lower(), code, wording, position, label, description)


def _content(characteristics: Sequence[PlannedCharacteristic]) -> list[object]:
    return [
        [c.pathway, c.code, c.wording, [[p.position, p.label, p.description] for p in c.positions]]
        for c in characteristics
    ]


def content_fingerprint(characteristics: Sequence[PlannedCharacteristic]) -> str:
    """A digest of a framework's content: the same for the same pathways, characteristics (in
    order), wording and positions, whatever file they came from."""
    payload = json.dumps(_content(characteristics), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _planned(version: ToolkitVersion) -> list[PlannedCharacteristic]:
    """A loaded version in the form a plan has, to compare the two."""
    return [
        PlannedCharacteristic(
            c.pathway.value,
            c.code,
            c.wording,
            0,
            [PlannedPosition(p.position, p.label, p.description) for p in c.positions],
        )
        for part in framework(version)
        for c in part.characteristics
    ]


def _compare_with_current(plan: ToolkitPlan) -> None:
    current = current_version()
    if current is None:
        plan.added = [c.key for c in plan.characteristics]
        return
    plan.current_number, plan.current_fingerprint = current.number, current.fingerprint
    before = {c.key: c for c in _planned(current)}
    after = {c.key: c for c in plan.characteristics}
    plan.added = [key for key in after if key not in before]
    plan.removed = [key for key in before if key not in after]
    plan.reworded = [
        key
        for key, new in after.items()
        if key in before and _content([new]) != _content([before[key]])
    ]


# --- Loading a version ---------------------------------------------------------------------------


def _lock_versions() -> None:
    """Make loads of a version take turns, so that each gets the next number. On SQLite the
    write transaction holds the database's write lock already; readers are never blocked."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE toolkit_versions IN SHARE ROW EXCLUSIVE MODE"))


def apply_import(
    plan: ToolkitPlan,
    person: object | None,
    filename: str,
    *,
    note: str = "",
    is_demo: bool = False,
) -> ToolkitVersion:
    """Load the planned framework as the next version, all or nothing, with an audit entry.
    Raises ToolkitError if the plan cannot be loaded or another version was loaded since."""
    if plan.unchanged:
        raise ToolkitError(
            f"Nothing was loaded: the file is the same as version {plan.current_number}"
        )
    if not plan.can_apply:
        raise ToolkitError("Nothing was loaded: the file has rows that cannot be loaded")
    filename = filename.strip()[:FILENAME_LENGTH] or "toolkit.csv"
    note = note.strip()
    if len(note) > NOTE_LENGTH or holds_control_character(note):
        raise ToolkitError(f"The note must be on one line, {NOTE_LENGTH} characters or fewer")
    actor = person if signed_in(person) else None
    with write_transaction():
        _lock_versions()
        current = current_version()
        if (current.number if current else None) != plan.current_number:
            raise ToolkitError(
                f"Nothing was loaded: version {current.number if current else '?'} was loaded "
                "after this file was checked. Check the file again."
            )
        version = ToolkitVersion(
            number=(current.number + 1) if current else 1,
            loaded_by_id=actor.id if actor else None,
            source_filename=filename,
            note=note,
            fingerprint=plan.fingerprint,
            is_demo=is_demo,
        )
        db.session.add(version)
        places: dict[str, int] = {}
        for planned in plan.characteristics:
            places[planned.pathway] = places.get(planned.pathway, 0) + 1
            characteristic = Characteristic(
                version=version,
                pathway=Pathway(planned.pathway),
                code=planned.code,
                wording=planned.wording,
                place=places[planned.pathway],
            )
            characteristic.positions = [
                SpectrumPosition(position=p.position, label=p.label, description=p.description)
                for p in planned.positions
            ]
            db.session.add(characteristic)
        db.session.flush()
        record(
            "toolkit.version_loaded",
            "toolkit_versions",
            version.id,
            actor=actor,
            after={
                "number": version.number,
                "file": filename,
                "note": note,
                "characteristics": len(plan.characteristics),
                "positions": plan.positions,
                "added": len(plan.added),
                "removed": len(plan.removed),
                "reworded": len(plan.reworded),
            },
        )
        db.session.commit()
    return version
