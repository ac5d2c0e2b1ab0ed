"""A trust's monthly counts: what a month may hold, corrections with their audit entry, the CSV
import (every kind of bad row, all or nothing) and the series the charts are drawn from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.measures.models import Measure, MonthlyCounts
from portal.measures.service import (
    CSV_HEADER,
    CountsRefused,
    MeasureError,
    apply_counts_import,
    count_problems,
    current_month,
    mark_change,
    measure_series,
    months_of,
    plan_counts_import,
    record_month,
    set_target,
    summary,
    trust_series,
)
from portal.measures.spc import Signal
from tests.factories import make_trust, make_user

GOOD = {
    "deliveries": 300,
    "caesareans_elective": 30,
    "caesareans_emergency": 45,
    "normal_births": 120,
    "previous_caesarean": 40,
    "vbac": 12,
}
HEADER = ",".join(CSV_HEADER)


def counts(**changes: int | None) -> dict[str, int | None]:
    return {**GOOD, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"deliveries": None}, "deliveries", "Enter the number of deliveries, or 0"),
        ({"vbac": -1}, "vbac", "must be 0 or more"),
        ({"deliveries": 5001}, "deliveries", "5,000 or fewer"),
        (
            {"caesareans_elective": 200, "caesareans_emergency": 101},
            "caesareans_emergency",
            "together (301) must not be more than the deliveries (300)",
        ),
        ({"normal_births": 226}, "normal_births", "were not caesarean sections (225)"),
        ({"previous_caesarean": 301, "vbac": 0}, "previous_caesarean", "the deliveries (300)"),
        ({"vbac": 41}, "vbac", "women with a previous caesarean (40)"),
        (
            {
                "caesareans_elective": 150,
                "caesareans_emergency": 140,
                "previous_caesarean": 40,
                "normal_births": 0,
                "vbac": 11,
            },
            "vbac",
            "were not caesarean sections (10)",
        ),
    ],
)
def test_no_part_is_larger_than_its_whole(
    changes: dict[str, int | None], field: str, message: str
) -> None:
    problems = count_problems(counts(**changes))
    assert list(problems) == [field]
    assert message in problems[field]


def test_counts_at_their_limits_are_accepted() -> None:
    assert count_problems(counts(normal_births=225)) == {}
    assert count_problems(counts(vbac=40)) == {}
    assert count_problems({name: 0 for name in GOOD}) == {}


def test_a_month_is_added_then_corrected_with_an_audit_entry_of_what_changed(app: Flask) -> None:
    trust = make_trust()
    staff = make_user("trust", trust=trust)
    assert record_month(trust, date(2026, 3, 1), GOOD, actor=staff)
    assert record_month(trust, date(2026, 3, 1), {**GOOD, "vbac": 14}, actor=staff)
    assert not record_month(trust, date(2026, 3, 1), {**GOOD, "vbac": 14}, actor=staff)
    [row] = months_of(trust)
    assert row.vbac == 14 and row.deliveries == 300
    added, corrected = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("measures.%")).order_by(AuditEntry.id)
    )
    assert added.action == "measures.month_added" and added.actor_id == staff.id
    assert added.after == {"trust": "RT1", "month": "2026-03", **GOOD}
    assert corrected.action == "measures.month_corrected"
    assert corrected.before == {"trust": "RT1", "month": "2026-03", "vbac": 12}
    assert corrected.after == {"trust": "RT1", "month": "2026-03", "vbac": 14}


def test_refused_counts_and_future_months_change_nothing(app: Flask) -> None:
    trust = make_trust()
    with pytest.raises(CountsRefused) as refused:
        record_month(trust, date(2026, 3, 1), counts(vbac=41), actor=None)
    assert list(refused.value.problems) == ["vbac"]
    next_month = date(
        current_month().year + current_month().month // 12, current_month().month % 12 + 1, 1
    )
    with pytest.raises(MeasureError, match="must not be in the future"):
        record_month(trust, next_month, GOOD, actor=None)
    assert months_of(trust) == []
    assert (
        db.session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("measures.%"))) is None
    )


def test_the_database_refuses_a_part_larger_than_its_whole(app: Flask) -> None:
    """The rules hold even for a writer that skips the service."""
    trust = make_trust()
    db.session.add(MonthlyCounts(trust_id=trust.id, month=date(2026, 1, 1), **counts(vbac=41)))
    with pytest.raises(Exception, match=r"(?i)check"):
        db.session.flush()
    db.session.rollback()


# --- CSV import ------------------------------------------------------------------------------


def csv(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("RT1,2026-03,300,30,45,120,40", "expected 8 values, found 7"),
        ("XXX,2026-03,300,30,45,120,40,12", "no trust has the ODS code 'XXX'"),
        ("RT2,2026-03,300,30,45,120,40,12", "you cannot give figures for Other"),
        ("RT1,March 2026,300,30,45,120,40,12", "is not a month written as YYYY-MM"),
        ("RT1,2026-13,300,30,45,120,40,12", "is not a month written as YYYY-MM"),
        ("RT1,2099-01,300,30,45,120,40,12", "must not be in the future"),
        ("RT1,1999-12,300,30,45,120,40,12", "from January 2000 on"),
        ("RT1,2026-03,300,30,45,120,40,-1", "vbac must be a whole number of 0 or more, not '-1'"),
        ("RT1,2026-03,300,30,45,120.5,40,12", "normal_births must be a whole number"),
        ("RT1,2026-03,300,30,45,120,40,٣", "vbac must be a whole number"),
        ("RT1,2026-03,300,30,45,120,40,41", "must not be more than the women with a previous"),
        ("RT1,2026-03,300,30,45,120,40," + "9" * 5000, "vbac must be 5,000 or fewer"),
    ],
)
def test_every_kind_of_bad_row_is_named_by_its_line(app: Flask, row: str, reason: str) -> None:
    make_trust()
    make_trust("Other NHS Trust", "RT2", "london")
    plan = plan_counts_import(
        csv("RT1,2026-02,300,30,45,120,40,12", row),
        may_import=lambda trust: trust.ods_code == "RT1",
    )
    assert [(r.line, reason in r.reason) for r in plan.rejected] == [(3, True)], plan.rejected
    assert not plan.can_apply
    with pytest.raises(MeasureError):
        apply_counts_import(plan, actor=None)
    assert db.session.scalar(select(MonthlyCounts.id)) is None


def test_a_month_twice_in_one_file_is_refused(app: Flask) -> None:
    make_trust()
    plan = plan_counts_import(
        csv("RT1,2026-02,300,30,45,120,40,12", "", "rt1,2026-02,301,30,45,120,40,12"),
        may_import=lambda _t: True,
    )
    assert [(r.line, r.reason) for r in plan.rejected] == [(4, "RT1 2026-02 is also on line 2")]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "The file is empty"),
        (b"ods_code,month\r\n", "The first line must be the header"),
        (HEADER.encode() + b"\r\n", "no rows of figures"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(app: Flask, data: bytes, problem: str) -> None:
    plan = plan_counts_import(data, may_import=lambda _t: True)
    assert plan.problem is not None and problem in plan.problem


def test_a_good_file_adds_corrects_and_leaves_unchanged_months(app: Flask) -> None:
    trust = make_trust()
    record_month(trust, date(2026, 1, 1), GOOD, actor=None)
    record_month(trust, date(2026, 2, 1), GOOD, actor=None)
    plan = plan_counts_import(
        csv(
            "RT1,2026-01,300,30,45,120,40,12",
            "RT1,2026-02,300,30,45,120,40,13",
            "RT1,2026-03,280,20,40,110,30,9",
        ),
        may_import=lambda _t: True,
    )
    assert [r.action for r in plan.rows] == ["unchanged", "correct", "add"]
    assert apply_counts_import(plan, actor=None) == (1, 1)
    assert [(r.month.month, r.vbac) for r in months_of(trust)] == [(1, 12), (2, 13), (3, 9)]


def test_the_command_line_imports_for_any_trust_or_nothing(app: Flask, tmp_path: Path) -> None:
    trust = make_trust()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv("RT1,2026-01,300,30,45,120,40,12", "RT1,2026-02,300,30,45,120,40,41"))
    result = app.test_cli_runner().invoke(args=["measures", "import", str(bad)])
    assert result.exit_code == 1
    assert "Line 3:" in result.output and "nothing was imported" in result.output
    assert months_of(trust) == []
    good = tmp_path / "good.csv"
    good.write_bytes(csv("RT1,2026-01,300,30,45,120,40,12", "RT1,2026-02,300,30,45,120,40,11"))
    result = app.test_cli_runner().invoke(args=["measures", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Months: 2 added, 0 corrected, 0 unchanged" in result.output
    assert len(months_of(trust)) == 2


# --- Series ----------------------------------------------------------------------------------


def month(index: int) -> date:
    return date(2024 + index // 12, index % 12 + 1, 1)


def test_a_month_without_a_denominator_has_no_rate_and_a_change_starts_a_segment(
    app: Flask,
) -> None:
    trust = make_trust()
    for i in range(30):
        previous = 0 if i == 5 else 40
        record_month(
            trust,
            month(i),
            {**GOOD, "previous_caesarean": previous, "vbac": previous // 4},
            actor=None,
        )
    mark_change(trust, month(15), "Joined the programme", actor=None)
    set_target(trust, Measure.TOTAL_CS, 24.0, actor=None)
    series = trust_series(trust)
    assert len(series[Measure.TOTAL_CS].months) == 30
    assert len(series[Measure.VBAC].months) == 29  # May 2024 had no woman with a previous CS
    total = series[Measure.TOTAL_CS]
    assert [(s.start, s.end) for s in total.chart.segments] == [(0, 15), (15, 30)]
    assert total.target == 24.0 and series[Measure.VBAC].target is None
    assert total.latest is not None and total.latest.percent == pytest.approx(25.0)


def test_the_summary_says_since_when_a_signal_has_lasted(app: Flask) -> None:
    trust = make_trust()
    rows = []
    for i in range(24):
        caesareans = 90 if i < 12 else 60  # 30% for a year, then 20%
        rows.append(
            MonthlyCounts(
                trust_id=trust.id,
                month=month(i),
                **counts(
                    caesareans_elective=caesareans // 2,
                    caesareans_emergency=caesareans // 2,
                    normal_births=100,
                ),
            )
        )
    series = measure_series(Measure.TOTAL_CS, rows)
    assert series.chart.points[-1].signal is Signal.IMPROVEMENT
    assert summary(series) == (
        "Total caesarean section rate: 20.0% in December 2025; "
        "special cause improvement since January 2025."
    )
    assert summary(measure_series(Measure.TOTAL_CS, [])) == (
        "Total caesarean section rate: no figures yet."
    )
    assert summary(measure_series(Measure.TOTAL_CS, rows[:1])) == (
        "Total caesarean section rate: 30.0% in January 2024; "
        "too few months yet to tell whether it has changed."
    )
