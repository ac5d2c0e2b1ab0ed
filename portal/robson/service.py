"""The rules for a trust's Robson counts: who may see and give them, what a month must hold (every
group, 2 and 4 whole or split), the CSV import (all or nothing), a file of births read into one
month's counts, and the report for a trust, a region or the programme over a range of months.

Who may do what is the monthly measures' rule (`portal.measures.service.may_see`): the trust's
staff, its region's coordinator and the programme team.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit.service import record
from portal.database import write_transaction
from portal.extensions import db
from portal.measures.service import (
    MAX_COUNT,
    MeasureError,
    MonthValue,
    Series,
    acting_person,
    changes_of,
    figures_changed,
    lock_trust,
    month_key,
    month_label,
    month_problem,
    parse_month,
    rate_series,
    row_count,
    row_trust_and_month,
)
from portal.measures.spc import Direction
from portal.regions.models import Region, Trust
from portal.robson.groups import (
    GROUP_CODES,
    GROUPS,
    SPLITS,
    GroupCounts,
    combine,
    count_problems,
    description,
)
from portal.robson.models import RobsonCount, RobsonMonth
from portal.robson.report import RobsonReport, build_report
from portal.web.csvtools import read_csv

CSV_HEADER = ("ods_code", "month", "group", "women", "caesareans")
POSITION = {code: n for n, code in enumerate(GROUP_CODES)}
#: The groups a month must give, each whole or (for 2 and 4) split.
WHOLE_GROUPS = tuple(group.code for group in GROUPS if group.parent is None)


class RobsonRefused(MeasureError):
    """A month's counts that break a rule: the message for each group (or "month") that is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(next(iter(problems.values())))
        self.problems = problems


# --- One month ---------------------------------------------------------------------------------


def missing_groups(codes: Iterable[str]) -> list[str]:
    """The groups a month leaves out: each of 1 to 10 must be there, 2 and 4 whole or with both
    parts (a month with 2a and not 2b leaves 2b out)."""
    given = set(codes)
    missing: list[str] = []
    for code in WHOLE_GROUPS:
        if code in given:
            continue
        parts = SPLITS.get(code, ())
        if parts and any(part in given for part in parts):
            missing.extend(part for part in parts if part not in given)
        else:
            missing.append(code)
    return missing


def month_problems(counts: Mapping[str, tuple[int, int]], unclassified: int = 0) -> dict[str, str]:
    """What is wrong with one month's `{group: (women, caesareans)}`, by group; empty if none."""
    problems: dict[str, str] = {}
    for code in sorted(counts, key=lambda c: POSITION.get(c, len(POSITION))):
        found = count_problems({code: counts[code]})
        if found:
            problems[code] = found[0]
        elif max(counts[code]) > MAX_COUNT:
            problems[code] = f"Group {code}: {MAX_COUNT:,} women or fewer in a month"
    for problem in count_problems(counts):
        if "both whole" in problem:
            problems.setdefault("split", problem)
    missing = missing_groups(counts)
    if missing:
        problems.setdefault(
            missing[0],
            f"Give the number of women (0 if none) for group {', '.join(missing)}",
        )
    if not 0 <= unclassified <= MAX_COUNT:
        problems["unclassified"] = (
            f"Women not placed in a group must be a whole number from 0 to {MAX_COUNT:,}"
        )
    return problems


def month_of(trust: Trust, month: date) -> RobsonMonth | None:
    return db.session.scalar(
        select(RobsonMonth).where(RobsonMonth.trust_id == trust.id, RobsonMonth.month == month)
    )


def months_of(trust: Trust) -> list[RobsonMonth]:
    """The trust's Robson months, newest first."""
    return list(
        db.session.scalars(
            select(RobsonMonth)
            .where(RobsonMonth.trust_id == trust.id)
            .order_by(RobsonMonth.month.desc())
        )
    )


def record_month(
    trust: Trust,
    month: date,
    counts: Mapping[str, tuple[int, int]],
    *,
    unclassified: int = 0,
    actor: object | None,
    new: bool = False,
) -> bool:
    """Save a month's Robson counts, new or corrected, with an audit entry; False if nothing
    changed. With `new`, a month that already has counts is refused rather than replaced.
    Raises RobsonRefused (by group) or MeasureError (the month)."""
    with write_transaction():
        lock_trust(trust)
        if new and month_of(trust, month) is not None:
            raise MeasureError(
                f"{month_label(month)} already has Robson counts: correct them from the list",
                "month",
            )
        changed = _record_month(trust, month, counts, unclassified, actor)
        db.session.commit()
    return changed


def _record_month(
    trust: Trust,
    month: date,
    counts: Mapping[str, tuple[int, int]],
    unclassified: int,
    actor: object | None,
) -> bool:
    problem = month_problem(month)
    if problem:
        raise MeasureError(problem, "month")
    problems = month_problems(counts, unclassified)
    if problems:
        raise RobsonRefused(problems)
    values = {code: GroupCounts(*counts[code]) for code in GROUP_CODES if code in counts}
    where = {"trust": trust.ods_code, "month": month_key(month)}
    row = month_of(trust, month)
    if row is None:
        row = RobsonMonth(trust_id=trust.id, month=month, unclassified=unclassified)
        row.groups = [_count(code, value) for code, value in values.items()]
        db.session.add(row)
        figures_changed(trust)
        db.session.flush()
        record(
            "robson.month_added",
            "robson_months",
            row.id,
            actor=acting_person(actor),
            after={**where, **_audit_values(values, unclassified)},
        )
        return True
    before_values = row.counts()
    if before_values == values and row.unclassified == unclassified:
        return False
    before = _audit_values(before_values, row.unclassified)
    after = _audit_values(values, unclassified)
    changed_keys = {
        key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
    }
    kept = {count.group: count for count in row.groups}
    row.groups = [_updated(kept.get(code), code, value) for code, value in values.items()]
    row.unclassified = unclassified
    figures_changed(trust)
    db.session.flush()
    record(
        "robson.month_corrected",
        "robson_months",
        row.id,
        actor=acting_person(actor),
        before={**where, **{k: before[k] for k in sorted(changed_keys) if k in before}},
        after={**where, **{k: after[k] for k in sorted(changed_keys) if k in after}},
    )
    return True


def _count(code: str, value: GroupCounts) -> RobsonCount:
    return RobsonCount(
        group=code, position=POSITION[code], women=value.women, caesareans=value.caesareans
    )


def _updated(count: RobsonCount | None, code: str, value: GroupCounts) -> RobsonCount:
    """The group's row with its new counts: the same row when the group was given before (a
    new row beside it would break the one-row-per-group rule before the old one went)."""
    if count is None:
        return _count(code, value)
    count.women, count.caesareans = value.women, value.caesareans
    return count


def _audit_values(values: Mapping[str, GroupCounts], unclassified: int) -> dict[str, object]:
    shown: dict[str, object] = {
        f"group {code}": f"{value.women} women, {value.caesareans} caesareans"
        for code, value in values.items()
    }
    shown["not placed in a group"] = unclassified
    return shown


# --- CSV import ----------------------------------------------------------------------------------


@dataclass
class PlannedMonth:
    ods_code: str
    month: str  # YYYY-MM
    lines: list[int]
    counts: dict[str, tuple[int, int]]
    action: str  # "add", "correct" or "unchanged"


@dataclass
class RejectedRow:
    line: int
    reason: str


@dataclass
class RobsonPlan:
    """What an import would do. Nothing is applied unless every row and every month is good."""

    months: list[PlannedMonth] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    problem: str | None = None

    def count(self, action: str) -> int:
        return sum(1 for month in self.months if month.action == action)

    @property
    def can_apply(self) -> bool:
        return self.problem is None and not self.rejected and bool(self.months)


def plan_import(data: bytes, *, may_import: Callable[[Trust], bool]) -> RobsonPlan:
    """Read a CSV of Robson counts (one row per trust, month and group) and decide what each
    month would do. A month must give every group, as a month given on the form does."""
    plan = RobsonPlan()
    read = read_csv(data, CSV_HEADER)
    if read.problem:
        plan.problem = read.problem
        return plan
    trusts = {t.ods_code: t for t in db.session.scalars(select(Trust))}
    found: dict[tuple[str, date], dict[str, tuple[int, int]]] = {}
    lines: dict[tuple[str, date], dict[str, int]] = {}
    for line, cells in read.rows:
        reason, parsed = _read_row(cells, trusts, may_import)
        if reason or parsed is None:
            plan.rejected.append(RejectedRow(line, reason or "cannot be read"))
            continue
        code, month, group, women, caesareans = parsed
        seen = lines.setdefault((code, month), {})
        if group in seen:
            plan.rejected.append(
                RejectedRow(
                    line, f"{code} {month_key(month)} group {group} is also on line {seen[group]}"
                )
            )
            continue
        seen[group] = line
        found.setdefault((code, month), {})[group] = (women, caesareans)
    known = _existing_months(trusts, found)
    for (code, month), counts in sorted(found.items(), key=lambda item: (item[0][0], item[0][1])):
        first = min(lines[(code, month)].values())
        problems = month_problems(counts)
        if problems:
            plan.rejected.append(
                RejectedRow(first, f"{code} {month_key(month)}: {next(iter(problems.values()))}")
            )
            continue
        existing = known.get((trusts[code].id, month))
        action = (
            "add"
            if existing is None
            else "unchanged"
            if existing.counts() == {g: GroupCounts(*v) for g, v in counts.items()}
            else "correct"
        )
        ordered = {g: counts[g] for g in GROUP_CODES if g in counts}
        plan.months.append(
            PlannedMonth(
                code, month_key(month), sorted(lines[(code, month)].values()), ordered, action
            )
        )
    plan.rejected.sort(key=lambda row: row.line)
    if not plan.months and not plan.rejected:
        plan.problem = "The file has a header but no rows of counts"
    return plan


def _existing_months(
    trusts: Mapping[str, Trust], found: Mapping[tuple[str, date], object]
) -> dict[tuple[int, date], RobsonMonth]:
    """The months a file gives that are already saved, with their groups, in two queries."""
    if not found:
        return {}
    ids = sorted({trusts[code].id for code, _month in found})
    months = [month for _code, month in found]
    saved = _months_for(ids, Period(min(months), max(months)))
    return {(month.trust_id, month.month): month for month in saved}


def _read_row(
    cells: list[str], trusts: Mapping[str, Trust], may_import: Callable[[Trust], bool]
) -> tuple[str | None, tuple[str, date, str, int, int] | None]:
    if len(cells) != len(CSV_HEADER):
        return f"expected {len(CSV_HEADER)} values, found {len(cells)}", None
    code, month_text, group, *numbers = (c.strip() for c in cells)
    group = group.lower()
    reason, trust, month = row_trust_and_month(code, month_text, trusts, may_import)
    if reason or trust is None or month is None:
        return reason, None
    if group not in GROUP_CODES:
        return (
            f"group {group!r} is not a Robson group: the groups are {', '.join(GROUP_CODES)}",
            None,
        )
    values = []
    for name, raw in zip(("women", "caesareans"), numbers, strict=True):
        reason, value = row_count(name, raw)
        if reason or value is None:
            return reason, None
        values.append(value)
    women, caesareans = values
    code = trust.ods_code
    if caesareans > women:
        return f"group {group}: {caesareans} caesareans is more than its {women} women", None
    return None, (code, month, group, women, caesareans)


def apply_import(plan: RobsonPlan, *, actor: object | None) -> tuple[int, int]:
    """Save every planned month, all or nothing; return (added, corrected)."""
    if not plan.can_apply:
        raise MeasureError("Nothing was imported: the file has rows that cannot be imported")
    added = corrected = 0
    codes = sorted({month.ods_code for month in plan.months})
    with write_transaction():
        trusts = {
            t.ods_code: t
            for t in db.session.scalars(select(Trust).where(Trust.ods_code.in_(codes)))
        }
        for trust in sorted(trusts.values(), key=lambda t: t.id):  # one order: no deadlock
            lock_trust(trust)
        for planned in plan.months:
            if planned.action == "unchanged":
                continue
            month = parse_month(planned.month)
            assert month is not None  # checked when planned
            trust = trusts[planned.ods_code]
            existing = month_of(trust, month)
            unclassified = existing.unclassified if existing else 0
            if _record_month(trust, month, planned.counts, unclassified, actor):
                if existing is None:
                    added += 1
                else:
                    corrected += 1
        db.session.commit()
    return added, corrected


# --- Reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A range of whole months, first to last inclusive."""

    first: date
    last: date

    @property
    def label(self) -> str:
        if self.first == self.last:
            return month_label(self.first)
        return f"{month_label(self.first)} to {month_label(self.last)}"


@dataclass(frozen=True)
class Counted:
    """The counts of several months of one or more trusts, combined, with their report."""

    period: Period | None
    months: int  # trust-months counted
    trusts: int
    counts: dict[str, GroupCounts]
    unclassified: int
    report: RobsonReport


def _months_for(trust_ids: list[int], period: Period | None) -> list[RobsonMonth]:
    query = select(RobsonMonth).where(RobsonMonth.trust_id.in_(trust_ids))
    if period is not None:
        query = query.where(RobsonMonth.month >= period.first, RobsonMonth.month <= period.last)
    months = list(db.session.scalars(query.order_by(RobsonMonth.month)))
    if months:
        rows = db.session.scalars(
            select(RobsonCount).where(RobsonCount.robson_month_id.in_([m.id for m in months]))
        )
        by_month: dict[int, list[RobsonCount]] = {}
        for row in rows:
            by_month.setdefault(row.robson_month_id, []).append(row)
        # Each month's groups from that one query, rather than one query per month.
        for month in months:
            set_committed_value(
                month, "groups", sorted(by_month.get(month.id, []), key=lambda r: r.position)
            )
    return months


def months_with_counts(trusts: Iterable[Trust]) -> list[date]:
    """The months in which any of these trusts has Robson counts, newest first."""
    ids = [trust.id for trust in trusts]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(RobsonMonth.month)
            .where(RobsonMonth.trust_id.in_(ids))
            .distinct()
            .order_by(RobsonMonth.month.desc())
        )
    )


#: A report shows the last year of months with counts unless asked for another range.
DEFAULT_MONTHS = 12


def default_period(months: list[date]) -> Period | None:
    """The last DEFAULT_MONTHS of `months` (months with counts, newest first), or None."""
    if not months:
        return None
    return Period(months[:DEFAULT_MONTHS][-1], months[0])


def latest_report(trust: Trust) -> Counted | None:
    """The trust's counts over its default period, or None when it has no Robson counts."""
    period = default_period(months_with_counts([trust]))
    return counted([trust], period) if period is not None else None


def counted(trusts: Iterable[Trust], period: Period | None) -> Counted:
    """The combined counts of these trusts over the period (every month when None)."""
    trust_ids = [trust.id for trust in trusts]
    months = _months_for(trust_ids, period) if trust_ids else []
    counts = combine(month.counts() for month in months)
    return Counted(
        period=period,
        months=len(months),
        trusts=len({month.trust_id for month in months}),
        counts=counts,
        unclassified=sum(month.unclassified for month in months),
        report=build_report(counts),
    )


def region_trusts(region: Region) -> list[Trust]:
    return list(
        db.session.scalars(select(Trust).where(Trust.region_id == region.id).order_by(Trust.name))
    )


def all_trusts() -> list[Trust]:
    return list(db.session.scalars(select(Trust).order_by(Trust.name)))


# --- Group rates month by month ---------------------------------------------------------------

#: The groups whose caesarean section rates the trust's measures page charts: groups 1 and 2
#: (a first baby, at term, one baby head first) and group 5 (a previous caesarean), which
#: usually give more than half of a unit's caesareans (57% of the 4,337 in BMJ Open
#: 2018;8:e022875, Table 3, the table tests/robson/test_report.py works through).
CHARTED_GROUPS = ("1", "2", "5")


@dataclass(frozen=True)
class GroupRate:
    """A Robson group's caesarean section rate, charted month by month like a measure."""

    group: str

    @property
    def value(self) -> str:
        return f"robson-{self.group}"

    @property
    def label(self) -> str:
        return f"Robson group {self.group} caesarean section rate"

    @property
    def definition(self) -> str:
        parts = " and ".join(SPLITS.get(self.group, ()))
        together = f", groups {parts} together" if parts else ""
        words = description(self.group)
        return (
            f"Caesarean sections as a percentage of the women in Robson group {self.group}"
            f"{together} ({words[0].lower()}{words[1:]})."
        )

    @property
    def direction(self) -> Direction:
        return Direction.LOWER_IS_BETTER

    @property
    def better(self) -> str:
        return "Lower is better."


def group_rates(trust: Trust) -> dict[GroupRate, Series]:
    """The CHARTED_GROUPS' caesarean section rates of the trust, month by month, with the
    changes the trust marked (the limits start again at each, as on its measures). A group given
    split counts as its parts together; a month with no women in a group has no rate for it."""
    months = _months_for([trust.id], None)
    changes = changes_of(trust)
    found = {}
    for code in CHARTED_GROUPS:
        parts = (code, *SPLITS.get(code, ()))
        values = []
        for month in months:
            counts = [value for group, value in month.counts().items() if group in parts]
            women = sum(value.women for value in counts)
            if women:
                values.append(MonthValue(month.month, sum(v.caesareans for v in counts), women))
        rate = GroupRate(code)
        found[rate] = rate_series(rate, values, changes)
    return found
