"""The rules for a trust's monthly counts: who may see and give them, what a month may hold, the
CSV import (all or nothing), the changes a trust marks and the targets it sets, and the charts
made from them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import select

from portal.audit.service import record
from portal.auth.models import User
from portal.auth.permissions import is_staff_of, manages_region, signed_in
from portal.database import write_transaction
from portal.extensions import db, utcnow
from portal.measures.disclosure import shown_months
from portal.measures.models import (
    COUNT_FIELDS,
    Measure,
    MeasureChange,
    MeasureSettings,
    MeasureTarget,
    MonthlyCounts,
)
from portal.measures.spc import Assurance, Direction, Signal, Variation, XmRChart, xmr
from portal.regions.models import Trust
from portal.text import holds_control_character
from portal.web.csvtools import read_csv
from portal.web.dates import today_in_london

#: No maternity unit in England delivers anywhere near this many women in a month; a larger
#: number is a typing slip (or a year's figures in a month's box).
MAX_COUNT = 5000
#: The first month figures may be given for: a baseline well before the programme began (2008).
FIRST_MONTH = date(2000, 1, 1)
NOTE_MAX = 120
CSV_HEADER = ("ods_code", "month", *COUNT_FIELDS)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

#: How each count is named in messages, in the order of the form.
COUNT_NAMES = {
    "deliveries": "Deliveries",
    "caesareans_elective": "Elective caesarean sections",
    "caesareans_emergency": "Emergency caesarean sections",
    "normal_births": "Normal births",
    "previous_caesarean": "Women with a previous caesarean",
    "vbac": "Vaginal births after caesarean",
}


class MeasureError(ValueError):
    """A change the rules do not allow; the message is for the person, `field` the form field it
    is about (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CountsRefused(MeasureError):
    """Counts that break a rule: the message for each field that is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(next(iter(problems.values())))
        self.problems = problems


# --- Who may see and give a trust's figures --------------------------------------------------


def may_see(person: object, trust: Trust) -> bool:
    """A trust's figures belong to its staff, its region's coordinator and the programme team."""
    return is_staff_of(person, trust.id) or manages_region(person, trust.region_id)


def may_record(person: object, trust: Trust) -> bool:
    """Whoever may see a trust's figures may give and correct them."""
    return may_see(person, trust)


def looks_after_figures(person: object) -> bool:
    """The programme team, a region's coordinator and a trust's staff each have figures to see."""
    return signed_in(person) and (
        person.is_admin
        or (person.is_coordinator and person.region_id is not None)
        or (person.is_trust_staff and person.trust_id is not None)
    )


def trusts_for(person: object) -> list[Trust]:
    """The trusts whose figures `person` may see, by name."""
    if not signed_in(person):
        return []
    query = select(Trust).order_by(Trust.name)
    if person.is_admin:
        return list(db.session.scalars(query))
    if person.is_coordinator and person.region_id is not None:
        return list(db.session.scalars(query.where(Trust.region_id == person.region_id)))
    if person.is_trust_staff and person.trust_id is not None:
        return list(db.session.scalars(query.where(Trust.id == person.trust_id)))
    return []


# --- Months ------------------------------------------------------------------------------------


def parse_month(text: str) -> date | None:
    """`YYYY-MM` as the first day of that month, or None."""
    found = _MONTH.match(text.strip())
    if found is None:
        return None
    year, month = int(found[1]), int(found[2])
    return date(year, month, 1) if 1 <= month <= 12 and year >= 1 else None


def month_key(month: date) -> str:
    return f"{month.year:04}-{month.month:02}"


def month_label(month: date) -> str:
    return f"{month:%B} {month.year}"


def current_month() -> date:
    return today_in_london().replace(day=1)


def month_problem(month: date) -> str | None:
    """Why figures cannot be given for `month`, or None."""
    if month < FIRST_MONTH:
        return f"Figures can be given from {month_label(FIRST_MONTH)} on"
    if month > current_month():
        return "The month must not be in the future"
    return None


def recent_months(count: int = 36) -> list[date]:
    """The current month and those before it, newest first."""
    months = []
    month = current_month()
    for _ in range(count):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return months


# --- One month's counts ------------------------------------------------------------------------


def count_problems(counts: Mapping[str, int | None]) -> dict[str, str]:
    """What is wrong with a month's counts, by field (empty when they may be saved).

    Each count is a whole number from 0 to MAX_COUNT, and no part is larger than its whole:
    caesarean sections and normal births are deliveries of different kinds, so together they
    are at most the deliveries; women with a previous caesarean are among the deliveries, and
    their vaginal births among both those women and the vaginal births.
    """
    problems: dict[str, str] = {}
    for name in COUNT_FIELDS:
        value = counts.get(name)
        if value is None:
            problems[name] = f"Enter the number of {COUNT_NAMES[name].lower()}, or 0"
        elif value < 0:
            problems[name] = f"{COUNT_NAMES[name]} must be 0 or more"
        elif value > MAX_COUNT:
            problems[name] = f"{COUNT_NAMES[name]} must be {MAX_COUNT:,} or fewer in a month"
    if problems:
        return problems
    n = {name: int(counts[name] or 0) for name in COUNT_FIELDS}
    caesareans = n["caesareans_elective"] + n["caesareans_emergency"]
    if caesareans > n["deliveries"]:
        problems["caesareans_emergency"] = (
            f"Elective and emergency caesarean sections together ({caesareans:,}) must not be "
            f"more than the deliveries ({n['deliveries']:,})"
        )
    elif caesareans + n["normal_births"] > n["deliveries"]:
        problems["normal_births"] = (
            f"Normal births ({n['normal_births']:,}) must not be more than the deliveries that "
            f"were not caesarean sections ({n['deliveries'] - caesareans:,})"
        )
    if n["previous_caesarean"] > n["deliveries"]:
        problems["previous_caesarean"] = (
            f"Women with a previous caesarean ({n['previous_caesarean']:,}) must not be more "
            f"than the deliveries ({n['deliveries']:,})"
        )
    elif n["vbac"] > n["previous_caesarean"]:
        problems["vbac"] = (
            f"Vaginal births after caesarean ({n['vbac']:,}) must not be more than the women "
            f"with a previous caesarean ({n['previous_caesarean']:,})"
        )
    elif caesareans <= n["deliveries"] and n["vbac"] > n["deliveries"] - caesareans:
        problems["vbac"] = (
            f"Vaginal births after caesarean ({n['vbac']:,}) must not be more than the deliveries "
            f"that were not caesarean sections ({n['deliveries'] - caesareans:,})"
        )
    return problems


def month_of(trust: Trust, month: date) -> MonthlyCounts | None:
    return db.session.scalar(
        select(MonthlyCounts).where(
            MonthlyCounts.trust_id == trust.id, MonthlyCounts.month == month
        )
    )


def months_of(trust: Trust) -> list[MonthlyCounts]:
    """The trust's months, oldest first."""
    return list(
        db.session.scalars(
            select(MonthlyCounts)
            .where(MonthlyCounts.trust_id == trust.id)
            .order_by(MonthlyCounts.month)
        )
    )


def record_month(
    trust: Trust,
    month: date,
    counts: Mapping[str, int | None],
    *,
    actor: object | None,
    new: bool = False,
) -> bool:
    """Save a month's counts, new or corrected, with an audit entry; False if nothing changed.

    With `new`, a month that already has figures is refused rather than corrected (two people
    giving the same month at once: the second is told, not silently overwritten). Raises
    CountsRefused (by field) or MeasureError (the month)."""
    with write_transaction():
        lock_trust(trust)
        if new and month_of(trust, month) is not None:
            raise MeasureError(
                f"{month_label(month)} already has figures: correct them from the list of months",
                "month",
            )
        changed = _record_month(trust, month, counts, actor)
        db.session.commit()
    return changed


def _record_month(
    trust: Trust, month: date, counts: Mapping[str, int | None], actor: object | None
) -> bool:
    problem = month_problem(month)
    if problem:
        raise MeasureError(problem, "month")
    problems = count_problems(counts)
    if problems:
        raise CountsRefused(problems)
    values = {name: int(counts[name] or 0) for name in COUNT_FIELDS}  # none missing: checked above
    settings = _settings_for_change(trust)
    row = month_of(trust, month)
    where = {"trust": trust.ods_code, "month": month_key(month)}
    if row is None:
        row = MonthlyCounts(trust_id=trust.id, month=month, **values)
        db.session.add(row)
        settings.updated_at = utcnow()
        db.session.flush()
        record(
            "measures.month_added",
            "monthly_counts",
            row.id,
            actor=acting_person(actor),
            after={**where, **values},
        )
        return True
    before = {name: old for name, old in row.counts().items() if old != values[name]}
    if not before:
        return False
    for name in before:
        setattr(row, name, values[name])
    settings.updated_at = utcnow()
    db.session.flush()
    record(
        "measures.month_corrected",
        "monthly_counts",
        row.id,
        actor=acting_person(actor),
        before={**where, **before},
        after={**where, **{n: values[n] for n in before}},
    )
    return True


def acting_person(person: object | None) -> User | None:
    """Who an audit entry names: the person if signed in (None for the command line)."""
    return person if signed_in(person) else None


def figures_changed(trust: Trust) -> None:
    """Note, inside the caller's write transaction, that the trust's figures changed (public
    pages kept by the page cache are rebuilt from this)."""
    _settings_for_change(trust).updated_at = utcnow()


# --- Publishing ------------------------------------------------------------------------------


def lock_trust(trust: Trust) -> None:
    """Hold the trust's row until the transaction ends, so that two changes to its figures at
    once take turns (their check-then-insert would otherwise race on PostgreSQL; SQLite's write
    lock already makes them take turns)."""
    db.session.execute(select(Trust.id).where(Trust.id == trust.id).with_for_update())


def _settings_for_change(trust: Trust) -> MeasureSettings:
    """The trust's settings row, made if missing, inside the caller's write transaction."""
    settings = db.session.scalar(
        select(MeasureSettings).where(MeasureSettings.trust_id == trust.id)
    )
    if settings is None:
        settings = MeasureSettings(trust_id=trust.id, published=False)
        db.session.add(settings)
    return settings


def is_published(trust: Trust) -> bool:
    """Whether the trust shows its charts on its public page."""
    return bool(
        db.session.scalar(
            select(MeasureSettings.published).where(MeasureSettings.trust_id == trust.id)
        )
    )


def set_published(trust: Trust, published: bool, *, actor: object | None) -> bool:
    """Show the trust's charts on its public page, or stop; False if that was so already."""
    with write_transaction():
        lock_trust(trust)
        settings = _settings_for_change(trust)
        if bool(settings.published) == published:
            return False
        settings.published = published
        settings.published_at = utcnow() if published else None
        settings.updated_at = utcnow()
        db.session.flush()
        record(
            "measures.published" if published else "measures.unpublished",
            "trust",
            trust.id,
            actor=acting_person(actor),
            before={"published": not published},
            after={"published": published},
        )
        db.session.commit()
    return True


# --- Changes and targets ---------------------------------------------------------------------


def changes_of(trust: Trust) -> list[MeasureChange]:
    return list(
        db.session.scalars(
            select(MeasureChange)
            .where(MeasureChange.trust_id == trust.id)
            .order_by(MeasureChange.month)
        )
    )


def mark_change(trust: Trust, month: date, note: str, *, actor: object | None) -> MeasureChange:
    """Mark a month from which the trust's charts calculate their limits afresh."""
    note = " ".join(note.split())
    if not note:
        raise MeasureError("Enter what changed, for example “Joined the programme”", "note")
    if len(note) > NOTE_MAX or holds_control_character(note):
        raise MeasureError(
            f"What changed must be one line of {NOTE_MAX} characters or fewer", "note"
        )
    problem = month_problem(month)
    if problem:
        raise MeasureError(problem, "month")
    with write_transaction():
        lock_trust(trust)
        existing = db.session.scalar(
            select(MeasureChange).where(
                MeasureChange.trust_id == trust.id, MeasureChange.month == month
            )
        )
        if existing is not None:
            raise MeasureError(
                f"{month_label(month)} is already marked as a change: “{existing.note}”", "month"
            )
        change = MeasureChange(trust_id=trust.id, month=month, note=note)
        db.session.add(change)
        _settings_for_change(trust).updated_at = utcnow()
        db.session.flush()
        record(
            "measures.change_marked",
            "measure_change",
            change.id,
            actor=acting_person(actor),
            after={"trust": trust.ods_code, "month": month_key(month), "note": note},
        )
        db.session.commit()
    return change


def remove_change(trust: Trust, change_id: int, *, actor: object | None) -> bool:
    """Remove a change mark of the trust's; False if there is none by that id."""
    with write_transaction():
        lock_trust(trust)
        change = db.session.get(MeasureChange, change_id)
        if change is None or change.trust_id != trust.id:
            return False
        record(
            "measures.change_removed",
            "measure_change",
            change.id,
            actor=acting_person(actor),
            before={"trust": trust.ods_code, "month": month_key(change.month), "note": change.note},
        )
        db.session.delete(change)
        _settings_for_change(trust).updated_at = utcnow()
        db.session.commit()
    return True


def targets_of(trust: Trust) -> dict[Measure, float]:
    rows = db.session.scalars(select(MeasureTarget).where(MeasureTarget.trust_id == trust.id))
    return {row.measure: row.target for row in rows}


def set_target(
    trust: Trust, measure: Measure, target: float | None, *, actor: object | None
) -> bool:
    """Set (or, with None, remove) the trust's target for a measure; False if nothing changed."""
    if target is not None and not 0 <= target <= 100:
        raise MeasureError("The target must be a percentage from 0 to 100")
    with write_transaction():
        lock_trust(trust)
        row = db.session.scalar(
            select(MeasureTarget).where(
                MeasureTarget.trust_id == trust.id, MeasureTarget.measure == measure
            )
        )
        before = None if row is None else row.target
        if before == target:
            return False
        _settings_for_change(trust).updated_at = utcnow()
        if row is None:
            db.session.add(MeasureTarget(trust_id=trust.id, measure=measure, target=target))
        elif target is None:
            db.session.delete(row)
        else:
            row.target = target
        record(
            "measures.target_set",
            "trust",
            trust.id,
            actor=acting_person(actor),
            before={"measure": measure.value, "target": before},
            after={"measure": measure.value, "target": target},
        )
        db.session.commit()
    return True


# --- Charts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthValue:
    month: date
    numerator: int
    denominator: int

    @property
    def percent(self) -> float:
        return 100 * self.numerator / self.denominator


class Rate(Protocol):
    """What a chart needs to know of the rate it shows: a measure, or another feature's rate
    (a Robson group's caesarean section rate)."""

    @property
    def value(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def definition(self) -> str: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def better(self) -> str: ...


@dataclass(frozen=True)
class Series:
    """One rate of one trust: its months with a denominator, and their XmR chart."""

    measure: Rate
    months: tuple[MonthValue, ...]
    chart: XmRChart
    changes: tuple[MeasureChange, ...]
    target: float | None

    @property
    def latest(self) -> MonthValue | None:
        return self.months[-1] if self.months else None


def measure_series(
    measure: Measure,
    rows: Iterable[MonthlyCounts],
    changes: Iterable[MeasureChange] = (),
    target: float | None = None,
) -> Series:
    """The measure's monthly rates (months whose denominator is 0 have no rate and are left out)
    and their chart."""
    months = [
        MonthValue(row.month, row.numerator(measure), row.denominator(measure))
        for row in rows
        if row.denominator(measure) > 0
    ]
    return rate_series(measure, months, changes, target)


def rate_series(
    rate: Rate,
    values: Iterable[MonthValue],
    changes: Iterable[MeasureChange] = (),
    target: float | None = None,
) -> Series:
    """A rate's months (each with a denominator above 0) and their chart, with a new segment at
    each change the trust marked that falls on or before a charted month."""
    months = tuple(sorted(values, key=lambda m: m.month))
    if any(m.denominator <= 0 for m in months):
        raise ValueError("every charted month needs a denominator above 0")
    marks = tuple(sorted(changes, key=lambda c: c.month))
    starts = sorted(
        {
            next(i for i, m in enumerate(months) if m.month >= change.month)
            for change in marks
            if months and change.month <= months[-1].month
        }
        - {0}
    )
    chart = xmr(
        [m.percent for m in months],
        direction=rate.direction,
        changes=starts,
        target=target,
    )
    return Series(rate, months, chart, marks, target)


def trust_series(trust: Trust, *, public: bool = False) -> dict[Measure, Series]:
    """Every measure of the trust, read with three queries. For the public, each measure's
    chart is made from the months whose counts may be shown (see portal.measures.disclosure)."""
    rows = months_of(trust)
    changes = changes_of(trust)
    targets = targets_of(trust)
    return {
        m: measure_series(m, shown_months(rows, m) if public else rows, changes, targets.get(m))
        for m in Measure
    }


# --- CSV import --------------------------------------------------------------------------------


@dataclass
class PlannedMonth:
    line: int
    ods_code: str
    month: str  # YYYY-MM
    counts: dict[str, int]
    action: str  # "add", "correct" or "unchanged"


@dataclass
class RejectedRow:
    line: int
    reason: str


@dataclass
class CountsPlan:
    """What an import would do. Nothing is applied unless every row is good."""

    rows: list[PlannedMonth] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    problem: str | None = None  # a file-level problem

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def can_apply(self) -> bool:
        return self.problem is None and not self.rejected and bool(self.rows)


def plan_counts_import(data: bytes, *, may_import: Callable[[Trust], bool]) -> CountsPlan:
    """Read a CSV of monthly counts and decide what each row would do."""
    plan = CountsPlan()
    read = read_csv(data, CSV_HEADER)
    if read.problem:
        plan.problem = read.problem
        return plan
    trusts = {t.ods_code: t for t in db.session.scalars(select(Trust))}
    existing = {(row.trust_id, row.month): row for row in db.session.scalars(select(MonthlyCounts))}
    seen: dict[tuple[str, date], int] = {}
    for line, cells in read.rows:
        reason, planned = _plan_row(line, cells, trusts, existing, seen, may_import)
        if reason:
            plan.rejected.append(RejectedRow(line, reason))
        elif planned is not None:
            plan.rows.append(planned)
    if not plan.rows and not plan.rejected:
        plan.problem = "The file has a header but no rows of figures"
    return plan


def row_trust_and_month(
    code: str, month_text: str, trusts: Mapping[str, Trust], may_import: Callable[[Trust], bool]
) -> tuple[str | None, Trust | None, date | None]:
    """The trust and month a row of an imported file names, or the reason it cannot be used: no
    such trust, one the person may not give figures for, or a month that is not one."""
    code = code.upper()
    trust = trusts.get(code)
    if trust is None:
        return f"no trust has the ODS code {code!r}", None, None
    if not may_import(trust):
        return f"you cannot give figures for {trust.name} ({code})", None, None
    month = parse_month(month_text)
    if month is None:
        return (
            f"month {month_text!r} is not a month written as YYYY-MM, like 2027-03",
            None,
            None,
        )
    problem = month_problem(month)
    if problem:
        when = "in the future" if month > current_month() else "too early"
        return f"month {month_text} is {when}: {problem}", None, None
    return None, trust, month


def row_count(name: str, raw: str) -> tuple[str | None, int | None]:
    """A count in a row of an imported file, or the reason it is not one."""
    if not raw.isdigit() or not raw.isascii():
        return f"{name} must be a whole number of 0 or more, not {raw!r}", None
    if len(raw) > len(str(MAX_COUNT)) or int(raw) > MAX_COUNT:
        return f"{name} must be {MAX_COUNT:,} or fewer in a month", None
    return None, int(raw)


def _plan_row(
    line: int,
    cells: list[str],
    trusts: Mapping[str, Trust],
    existing: Mapping[tuple[int, date], MonthlyCounts],
    seen: dict[tuple[str, date], int],
    may_import: Callable[[Trust], bool],
) -> tuple[str | None, PlannedMonth | None]:
    if len(cells) != len(CSV_HEADER):
        return f"expected {len(CSV_HEADER)} values, found {len(cells)}", None
    code, month_text, *numbers = (c.strip() for c in cells)
    reason, trust, month = row_trust_and_month(code, month_text, trusts, may_import)
    if reason or trust is None or month is None:
        return reason, None
    code = trust.ods_code
    if (code, month) in seen:
        return f"{code} {month_text} is also on line {seen[(code, month)]}", None
    counts: dict[str, int] = {}
    for name, raw in zip(COUNT_FIELDS, numbers, strict=True):
        reason, value = row_count(name, raw)
        if reason or value is None:
            return reason, None
        counts[name] = value
    problems = count_problems(counts)
    if problems:
        return next(iter(problems.values())), None
    seen[(code, month)] = line
    row = existing.get((trust.id, month))
    action = "add" if row is None else "unchanged" if row.counts() == counts else "correct"
    return None, PlannedMonth(line, code, month_key(month), counts, action)


def apply_counts_import(plan: CountsPlan, *, actor: object | None) -> tuple[int, int]:
    """Save every planned month, all or nothing; return (added, corrected)."""
    if not plan.can_apply:
        raise MeasureError("Nothing was imported: the file has rows that cannot be imported")
    added = corrected = 0
    codes = sorted({row.ods_code for row in plan.rows})
    with write_transaction():
        trusts = {
            t.ods_code: t
            for t in db.session.scalars(select(Trust).where(Trust.ods_code.in_(codes)))
        }
        for trust in sorted(trusts.values(), key=lambda t: t.id):  # one order: no deadlock
            lock_trust(trust)
        for row in plan.rows:
            if row.action == "unchanged":
                continue
            month = parse_month(row.month)
            assert month is not None  # checked when planned
            existed = month_of(trusts[row.ods_code], month) is not None
            if _record_month(trusts[row.ods_code], month, row.counts, actor):
                if existed:
                    corrected += 1
                else:
                    added += 1
        db.session.commit()
    return added, corrected


def series_for_trusts(trusts: Iterable[Trust], measure: Measure) -> dict[int, Series]:
    """One measure for each of the trusts, by trust id, read with three queries."""
    ids = [t.id for t in trusts]
    rows: dict[int, list[MonthlyCounts]] = {i: [] for i in ids}
    for row in db.session.scalars(
        select(MonthlyCounts).where(MonthlyCounts.trust_id.in_(ids)).order_by(MonthlyCounts.month)
    ):
        rows[row.trust_id].append(row)
    changes: dict[int, list[MeasureChange]] = {i: [] for i in ids}
    for change in db.session.scalars(select(MeasureChange).where(MeasureChange.trust_id.in_(ids))):
        changes[change.trust_id].append(change)
    targets = {
        row.trust_id: row.target
        for row in db.session.scalars(
            select(MeasureTarget).where(
                MeasureTarget.trust_id.in_(ids), MeasureTarget.measure == measure
            )
        )
    }
    return {i: measure_series(measure, rows[i], changes[i], targets.get(i)) for i in ids}


# --- Charts in words ---------------------------------------------------------------------------

VARIATION_WORDS = {
    Variation.COMMON_CAUSE: "Common cause variation: no change beyond what chance explains.",
    Variation.IMPROVEMENT_HIGH: "Special cause improvement: higher than chance explains.",
    Variation.IMPROVEMENT_LOW: "Special cause improvement: lower than chance explains.",
    Variation.CONCERN_HIGH: "Special cause concern: higher than chance explains.",
    Variation.CONCERN_LOW: "Special cause concern: lower than chance explains.",
    Variation.NEUTRAL_HIGH: "Special cause variation: higher than chance explains.",
    Variation.NEUTRAL_LOW: "Special cause variation: lower than chance explains.",
}

ASSURANCE_WORDS = {
    Assurance.PASSING: (
        "Consistently passing: the process limits are on the better side of the target, so "
        "the target will be met month after month unless the process changes."
    ),
    Assurance.FAILING: (
        "Consistently failing: the process limits are on the worse side of the target, so the "
        "target will not be met unless the process changes."
    ),
    Assurance.HIT_AND_MISS: (
        "Hit and miss: the target lies between the process limits, so it will be met in some "
        "months and missed in others by chance alone."
    ),
}


def summary(series: Series) -> str:
    """The chart in one sentence: the latest rate and what the latest point's variation says."""
    name = series.measure.label
    latest = series.latest
    if latest is None:
        return f"{name}: no figures yet."
    text = f"{name}: {latest.percent:.1f}% in {month_label(latest.month)}"
    points = series.chart.points
    last = points[-1]
    if series.chart.variation is None:
        return text + "; too few months yet to tell whether it has changed."
    if last.signal is None:
        return text + "; common cause variation."
    start = len(points) - 1
    while (
        start > 0
        and points[start - 1].signal is last.signal
        and points[start - 1].segment == last.segment
    ):
        start -= 1
    kind = {
        Signal.IMPROVEMENT: "special cause improvement",
        Signal.CONCERN: "special cause concern",
        Signal.NEUTRAL: "special cause variation",
    }[last.signal]
    return text + f"; {kind} since {month_label(series.months[start].month)}."
