"""Reference data for regions, and trusts created or updated from CSV files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from portal.audit.service import record
from portal.database import write_transaction
from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.regions.reference import SHAS
from portal.text import holds_control_character
from portal.web.csvtools import read_csv

if TYPE_CHECKING:
    from portal.auth.models import User

TRUST_CSV_HEADER = ("name", "ods_code", "region", "participating")
# NHS trust organisation codes are three characters (R followed by two, e.g. RJ1) and site
# codes five; accept either shape in upper-case letters and digits.
ODS_CODE = re.compile(r"^[A-Z0-9]{3}(?:[A-Z0-9]{2})?$")
YES_NO = {"yes": True, "no": False}


def seed_regions() -> tuple[int, int]:
    """Create the SHAs that are missing and keep their order; return (created, updated).

    Idempotent; the caller commits. Names of existing regions are left alone: the programme team
    may edit a region's display name, and a later seed (every deployment runs one) must keep it.
    """
    existing = {r.slug: r for r in db.session.scalars(select(Region))}
    created = updated = 0
    for order, sha in enumerate(SHAS, start=1):
        region = existing.get(sha.slug)
        if region is None:
            db.session.add(
                Region(slug=sha.slug, name=sha.name, short_name=sha.short_name, sort_order=order)
            )
            created += 1
        elif region.sort_order != order:
            region.sort_order = order
            updated += 1
    db.session.flush()
    return created, updated


def regions_in_order() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.sort_order)))


def region_by_slug(slug: str) -> Region | None:
    return db.session.scalar(select(Region).where(Region.slug == slug))


def trusts_named(words: str) -> Select[int]:
    """The ids of the trusts whose name holds `words`, or whose ODS code they are (any case):
    how a person finds a trust when there are too many to choose from a list."""
    needle = words.lower()
    return select(Trust.id).where(
        or_(
            func.lower(Trust.name).contains(needle, autoescape=True),
            func.lower(Trust.ods_code) == needle,
        )
    )


def trust_by_code(ods_code: str) -> Trust | None:
    return db.session.scalar(select(Trust).where(Trust.ods_code == ods_code.strip().upper()))


def trust_counts_by_region() -> dict[int, tuple[int, int]]:
    """For each region id: (trusts, participating trusts)."""
    rows = db.session.execute(
        select(
            Trust.region_id,
            func.count(Trust.id),
            func.count(Trust.id).filter(Trust.participating.is_(True)),
        ).group_by(Trust.region_id)
    )
    return {region_id: (total, participating) for region_id, total, participating in rows}


def trusts_of(region: Region) -> list[Trust]:
    return list(db.session.scalars(trusts_in(region)))


def trusts_in(region: Region) -> Select[Trust]:
    """The region's trusts by name, to read whole or a page at a time. Each trust's region is the
    one given (in the session), not joined to every row."""
    return (
        select(Trust)
        .where(Trust.region_id == region.id)
        .options(lazyload(Trust.region))
        .order_by(Trust.name, Trust.id)
    )


def participating_trusts() -> list[Trust]:
    return list(
        db.session.scalars(
            select(Trust)
            .join(Trust.region)
            .where(Trust.participating.is_(True))
            .order_by(Region.sort_order, Trust.name)
        )
    )


# --- Changes by the programme team -------------------------------------------------------------


class OdsCodeTaken(Exception):
    """Another trust already has this ODS code (the database refused a second one)."""

    def __init__(self, ods_code: str) -> None:
        super().__init__(f"Another trust already has the ODS code {ods_code}")
        self.ods_code = ods_code


def ods_code_in_use(ods_code: str, *, other_than: Trust | None = None) -> bool:
    found = trust_by_code(ods_code)
    return found is not None and (other_than is None or found.id != other_than.id)


def create_trust(values: dict[str, Any], *, actor: User | None) -> Trust:
    """Add a trust (name, ods_code, region, participating); audited."""
    with write_transaction():
        if ods_code_in_use(values["ods_code"]):
            raise OdsCodeTaken(values["ods_code"])
        trust = Trust()
        _save_trust(trust, values)
        record("trust.created", "trust", trust.id, actor=actor, after=_trust_state(trust))
        db.session.commit()
    return trust


def update_trust(trust: Trust, values: dict[str, Any], *, actor: User | None) -> bool:
    """Change a trust's details; audited with before and after. False if nothing changed."""
    with write_transaction():
        db.session.refresh(trust)
        if ods_code_in_use(values["ods_code"], other_than=trust):
            raise OdsCodeTaken(values["ods_code"])
        before = _trust_state(trust)
        _save_trust(trust, values)
        after = _trust_state(trust)
        if after == before:
            db.session.rollback()
            return False
        record("trust.updated", "trust", trust.id, actor=actor, before=before, after=after)
        db.session.commit()
    return True


def _save_trust(trust: Trust, values: dict[str, Any]) -> None:
    # In a savepoint, so that losing a race for an ODS code leaves the transaction usable.
    try:
        with db.session.begin_nested():
            db.session.add(trust)
            for name, value in values.items():
                setattr(trust, name, value)
            db.session.flush()
    except IntegrityError as exc:
        raise OdsCodeTaken(values["ods_code"]) from exc


#: What the programme team may change about a region; the slug (in URLs and on the command
#: line) stays as the reference data has it.
REGION_FIELDS = ("name", "short_name", "contact_name", "contact_email", "contact_phone")
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


def region_name_in_use(name: str, *, other_than: Region) -> bool:
    found = db.session.scalar(
        select(Region.id).where(func.lower(Region.name) == name.strip().lower())
    )
    return found is not None and found != other_than.id


def update_region(region: Region, values: dict[str, str], *, actor: User | None) -> bool:
    """Change a region's names and coordinator contact; audited. False if nothing changed.

    Contact details typed by the programme team are real: a changed contact is no longer demo.
    """
    with write_transaction():
        db.session.refresh(region)
        before = _region_state(region)
        if any(getattr(region, name) != values[name] for name in CONTACT_FIELDS):
            region.contact_is_demo = False
        for name in REGION_FIELDS:
            setattr(region, name, values[name])
        after = _region_state(region)
        if after == before:
            db.session.rollback()
            return False
        db.session.flush()
        record("region.updated", "region", region.id, actor=actor, before=before, after=after)
        db.session.commit()
    return True


def _region_state(region: Region) -> dict[str, object]:
    return {
        "slug": region.slug,
        **{name: getattr(region, name) for name in REGION_FIELDS},
        "contact_is_demo": region.contact_is_demo,
    }


# --- CSV import ------------------------------------------------------------------------------


@dataclass
class TrustRow:
    line: int
    name: str
    ods_code: str
    region_slug: str
    participating: bool


@dataclass
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportPlan:
    """What an import would do: rows to create, rows to update, rows rejected with reasons."""

    create: list[TrustRow] = field(default_factory=list)
    update: list[TrustRow] = field(default_factory=list)
    unchanged: list[TrustRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    problem: str | None = None  # a file-level problem: nothing can be imported


def plan_trust_import(data: bytes) -> ImportPlan:
    """Read a trusts CSV (UTF-8, with or without BOM) and decide what each row would do."""
    plan = ImportPlan()
    read = read_csv(data, TRUST_CSV_HEADER)
    if read.problem:
        plan.problem = read.problem
        return plan

    regions = {r.slug: r for r in db.session.scalars(select(Region))}
    existing = {t.ods_code: t for t in db.session.scalars(select(Trust))}
    seen: dict[str, int] = {}
    for line, cells in read.rows:
        if len(cells) != len(TRUST_CSV_HEADER):
            plan.rejected.append(RejectedRow(line, f"expected 4 values, found {len(cells)}"))
            continue
        name, code, slug, participating = (c.strip() for c in cells)
        code = code.upper()
        reason = None
        if not name:
            reason = "name is empty"
        elif len(name) > 160:
            reason = "name is longer than 160 characters"
        elif holds_control_character(name):
            reason = "name must be on one line, without tabs or other invisible characters"
        elif not ODS_CODE.match(code):
            reason = f"ODS code {code!r} is not 3 or 5 letters and digits"
        elif slug.lower() not in regions:
            reason = f"region {slug!r} is not one of: {', '.join(sorted(regions))}"
        elif participating.lower() not in YES_NO:
            reason = f"participating must be yes or no, not {participating!r}"
        elif code in seen:
            reason = f"ODS code {code} is also on line {seen[code]}"
        if reason:
            plan.rejected.append(RejectedRow(line, reason))
            continue
        seen[code] = line
        row = TrustRow(line, name, code, slug.lower(), YES_NO[participating.lower()])
        trust = existing.get(code)
        if trust is None:
            plan.create.append(row)
        elif (trust.name, trust.region.slug, trust.participating) == (
            row.name,
            row.region_slug,
            row.participating,
        ):
            plan.unchanged.append(row)
        else:
            plan.update.append(row)
    return plan


class ImportConflict(Exception):
    """Another change to the trusts was saved while importing; nothing was imported."""

    def __str__(self) -> str:
        return (
            "Another change to the trusts was saved while importing, so nothing was imported. "
            "Check the preview again, then apply the import."
        )


def apply_trust_import(plan: ImportPlan, *, actor: User | None = None) -> tuple[int, int]:
    """Create and update trusts as planned, all or nothing; return (created, updated)."""
    try:
        with write_transaction():
            counts = _apply_trust_import(plan, actor)
            db.session.commit()
    except IntegrityError as exc:
        raise ImportConflict() from exc
    return counts


def _apply_trust_import(plan: ImportPlan, actor: User | None) -> tuple[int, int]:
    regions = {r.slug: r for r in db.session.scalars(select(Region))}
    for row in plan.create:
        trust = Trust(
            name=row.name,
            ods_code=row.ods_code,
            region=regions[row.region_slug],
            participating=row.participating,
        )
        db.session.add(trust)
        db.session.flush()
        record("trust.created", "trust", trust.id, actor=actor, after=_trust_state(trust))
    for row in plan.update:
        existing = trust_by_code(row.ods_code)
        assert existing is not None
        before = _trust_state(existing)
        existing.name, existing.region, existing.participating = (
            row.name,
            regions[row.region_slug],
            row.participating,
        )
        db.session.flush()
        record(
            "trust.updated",
            "trust",
            existing.id,
            actor=actor,
            before=before,
            after=_trust_state(existing),
        )
    return len(plan.create), len(plan.update)


def _trust_state(trust: Trust) -> dict[str, object]:
    return {
        "name": trust.name,
        "ods_code": trust.ods_code,
        "region": trust.region.slug,
        "participating": trust.participating,
    }


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


def planned_changes(rows: list[TrustRow]) -> dict[str, list[FieldChange]]:
    """For each row a plan would update (by ODS code): what would change, as people read it."""
    if not rows:
        return {}
    regions = {r.slug: r for r in db.session.scalars(select(Region))}
    existing = {t.ods_code: t for t in db.session.scalars(select(Trust))}
    yes_no = {True: "Yes", False: "No"}
    result: dict[str, list[FieldChange]] = {}
    for row in rows:
        trust = existing.get(row.ods_code)
        if trust is None:  # removed since the plan was made: it would be an error on apply
            continue
        found = []
        if trust.name != row.name:
            found.append(FieldChange("Name", trust.name, row.name))
        if trust.region.slug != row.region_slug:
            found.append(
                FieldChange("Region", trust.region.short_name, regions[row.region_slug].short_name)
            )
        if trust.participating != row.participating:
            found.append(
                FieldChange("Participating", yes_no[trust.participating], yes_no[row.participating])
            )
        result[row.ods_code] = found
    return result
