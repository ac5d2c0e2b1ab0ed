"""Reference data for regions, and trusts created or updated from CSV files."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.audit.service import record
from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.regions.reference import SHAS

TRUST_CSV_HEADER = ("name", "ods_code", "region", "participating")
# NHS trust organisation codes are three characters (R followed by two, e.g. RJ1) and site
# codes five; accept either shape in upper-case letters and digits.
ODS_CODE = re.compile(r"^[A-Z0-9]{3}(?:[A-Z0-9]{2})?$")
YES_NO = {"yes": True, "no": False}


def seed_regions() -> tuple[int, int]:
    """Create or correct the ten SHAs; return (created, updated). Idempotent; the caller commits."""
    existing = {r.slug: r for r in db.session.scalars(select(Region))}
    created = updated = 0
    for order, sha in enumerate(SHAS, start=1):
        region = existing.get(sha.slug)
        if region is None:
            db.session.add(
                Region(slug=sha.slug, name=sha.name, short_name=sha.short_name, sort_order=order)
            )
            created += 1
        elif (region.name, region.short_name, region.sort_order) != (
            sha.name,
            sha.short_name,
            order,
        ):
            region.name, region.short_name, region.sort_order = sha.name, sha.short_name, order
            updated += 1
    db.session.flush()
    return created, updated


def regions_in_order() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.sort_order)))


def region_by_slug(slug: str) -> Region | None:
    return db.session.scalar(select(Region).where(Region.slug == slug))


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
    return list(
        db.session.scalars(select(Trust).where(Trust.region_id == region.id).order_by(Trust.name))
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
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        plan.problem = "The file is not UTF-8 text; save it as 'CSV UTF-8' and try again"
        return plan
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        plan.problem = "The file is empty"
        return plan
    except csv.Error as exc:
        plan.problem = f"The file is not valid CSV: {exc}"
        return plan
    if tuple(h.strip().lower() for h in header) != TRUST_CSV_HEADER:
        plan.problem = (
            "The first line must be the header "
            + ",".join(TRUST_CSV_HEADER)
            + f" (found: {','.join(header) or 'nothing'})"
        )
        return plan

    regions = {r.slug: r for r in db.session.scalars(select(Region))}
    existing = {t.ods_code: t for t in db.session.scalars(select(Trust))}
    seen: dict[str, int] = {}
    line = 1
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
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
    except csv.Error as exc:
        plan.problem = f"The file is not valid CSV near line {line + 1}: {exc}"
    return plan


def apply_trust_import(plan: ImportPlan, *, actor: object | None = None) -> tuple[int, int]:
    """Create and update trusts as planned; return (created, updated). The caller commits."""
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
        record("trust.created", "trust", trust.id, actor=actor, after=_trust_state(trust))  # type: ignore[arg-type]
    for row in plan.update:
        trust = trust_by_code(row.ods_code)
        assert trust is not None
        before = _trust_state(trust)
        trust.name, trust.region, trust.participating = (
            row.name,
            regions[row.region_slug],
            row.participating,
        )
        db.session.flush()
        record(
            "trust.updated",
            "trust",
            trust.id,
            actor=actor,
            before=before,
            after=_trust_state(trust),
        )  # type: ignore[arg-type]
    return len(plan.create), len(plan.update)


def _trust_state(trust: Trust) -> dict[str, object]:
    return {
        "name": trust.name,
        "ods_code": trust.ods_code,
        "region": trust.region.slug,
        "participating": trust.participating,
    }
