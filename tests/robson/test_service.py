"""The rules for a trust's Robson months: what a month must hold, corrections with their audit
entries, the all-or-nothing CSV import, the command line, and reports combined over trusts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.measures.service import MeasureError, current_month
from portal.robson.models import RobsonCount, RobsonMonth
from portal.robson.service import (
    Period,
    RobsonRefused,
    apply_import,
    counted,
    missing_groups,
    month_of,
    months_with_counts,
    plan_import,
    record_month,
)
from tests.factories import make_trust, make_user

SPLIT = {
    "1": (300, 45),
    "2a": (120, 40),
    "2b": (30, 30),
    "3": (280, 5),
    "4a": (60, 8),
    "4b": (20, 20),
    "5": (90, 70),
    "6": (15, 14),
    "7": (10, 8),
    "8": (12, 9),
    "9": (3, 3),
    "10": (40, 12),
}
WHOLE = {
    **{k: v for k, v in SPLIT.items() if k not in ("2a", "2b", "4a", "4b")},
    "2": (150, 70),
    "4": (80, 28),
}
MONTH = date(2026, 3, 1)


def months() -> int:
    return db.session.scalar(select(func.count()).select_from(RobsonMonth)) or 0


def test_a_month_is_saved_with_every_group_and_an_audit_entry(app: Flask) -> None:
    trust = make_trust()
    staff = make_user("trust", "staff@nhs.example", trust=trust)

    assert record_month(trust, MONTH, SPLIT, unclassified=4, actor=staff) is True

    saved = month_of(trust, MONTH)
    assert saved is not None
    assert saved.counts() == SPLIT
    assert saved.unclassified == 4
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "robson.month_added")
    ).one()
    assert entry.actor_id == staff.id
    assert entry.after["group 2a"] == "120 women, 40 caesareans"


def test_groups_2_and_4_may_be_given_whole() -> None:
    assert missing_groups(WHOLE) == []
    assert missing_groups(SPLIT) == []


def test_a_month_without_a_group_is_refused_naming_it(app: Flask) -> None:
    trust = make_trust()
    given = {k: v for k, v in SPLIT.items() if k not in ("7", "2b")}

    with pytest.raises(RobsonRefused) as refused:
        record_month(trust, MONTH, given, actor=None)

    assert "2b, 7" in str(refused.value)
    assert months() == 0


def test_a_group_given_whole_and_split_in_one_month_is_refused(app: Flask) -> None:
    trust = make_trust()

    with pytest.raises(RobsonRefused) as refused:
        record_month(trust, MONTH, {**SPLIT, "2": (150, 70)}, actor=None)

    assert "split" in refused.value.problems
    assert months() == 0


def test_more_caesareans_than_women_is_refused_for_that_group(app: Flask) -> None:
    trust = make_trust()

    with pytest.raises(RobsonRefused) as refused:
        record_month(trust, MONTH, {**SPLIT, "9": (3, 4)}, actor=None)

    assert set(refused.value.problems) == {"9"}
    assert months() == 0


def test_a_future_month_is_refused(app: Flask) -> None:
    trust = make_trust()
    later = date(current_month().year + 1, current_month().month, 1)

    with pytest.raises(MeasureError) as refused:
        record_month(trust, later, SPLIT, actor=None)

    assert refused.value.field == "month"


def test_a_new_month_that_already_has_counts_is_refused_not_overwritten(app: Flask) -> None:
    trust = make_trust()
    record_month(trust, MONTH, SPLIT, actor=None)

    with pytest.raises(MeasureError, match="already has Robson counts"):
        record_month(trust, MONTH, WHOLE, actor=None, new=True)

    saved = month_of(trust, MONTH)
    assert saved is not None and saved.counts() == SPLIT


def test_a_correction_replaces_the_groups_and_records_only_what_changed(app: Flask) -> None:
    trust = make_trust()
    record_month(trust, MONTH, SPLIT, actor=None)

    assert record_month(trust, MONTH, WHOLE, actor=None) is True

    saved = month_of(trust, MONTH)
    assert saved is not None and saved.counts() == WHOLE
    assert db.session.scalar(select(func.count()).select_from(RobsonCount)) == len(WHOLE)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "robson.month_corrected")
    ).one()
    assert set(entry.before) == {"trust", "month", "group 2a", "group 2b", "group 4a", "group 4b"}
    assert set(entry.after) == {"trust", "month", "group 2", "group 4"}


def test_saving_the_same_counts_again_changes_nothing(app: Flask) -> None:
    trust = make_trust()
    record_month(trust, MONTH, SPLIT, actor=None)

    assert record_month(trust, MONTH, SPLIT, actor=None) is False
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("robson.%"))
        )
        == 1
    )


# --- The CSV import ------------------------------------------------------------------------------


def csv_of(code: str, month: str, counts: dict[str, tuple[int, int]]) -> str:
    return "".join(f"{code},{month},{group},{w},{c}\n" for group, (w, c) in counts.items())


HEADER = "ods_code,month,group,women,caesareans\n"


def test_an_import_adds_and_corrects_whole_months(app: Flask) -> None:
    trust = make_trust()
    record_month(trust, MONTH, SPLIT, actor=None)
    data = HEADER + csv_of("rt1", "2026-03", WHOLE) + csv_of("RT1", "2026-04", SPLIT)

    plan = plan_import(data.encode(), may_import=lambda _t: True)

    assert plan.can_apply, plan.rejected
    assert [(m.month, m.action) for m in plan.months] == [
        ("2026-03", "correct"),
        ("2026-04", "add"),
    ]
    assert apply_import(plan, actor=None) == (1, 1)
    march, april = month_of(trust, MONTH), month_of(trust, date(2026, 4, 1))
    assert march is not None and march.counts() == WHOLE
    assert april is not None and april.counts() == SPLIT


def test_planning_an_import_reads_saved_months_in_as_many_statements_for_a_year_as_for_one(
    app: Flask,
) -> None:
    trust = make_trust()
    months = [f"2025-{n:02d}" for n in range(1, 13)]
    for text in months:
        record_month(trust, date(2025, int(text[5:]), 1), SPLIT, actor=None)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sized = {}
    for given in (months[:1], months[:1], months):  # the first warms up
        data = HEADER + "".join(csv_of("RT1", text, WHOLE) for text in given)
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            plan = plan_import(data.encode(), may_import=lambda _t: True)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert [m.action for m in plan.months] == ["correct"] * len(given)
        sized[len(given)] = len(statements)

    assert sized[12] == sized[1], statements


def test_one_bad_month_stops_the_whole_import(app: Flask) -> None:
    make_trust()
    incomplete = {k: v for k, v in SPLIT.items() if k != "10"}
    data = HEADER + csv_of("RT1", "2026-03", SPLIT) + csv_of("RT1", "2026-04", incomplete)

    plan = plan_import(data.encode(), may_import=lambda _t: True)

    assert not plan.can_apply
    assert len(plan.rejected) == 1 and "2026-04" in plan.rejected[0].reason
    assert "10" in plan.rejected[0].reason
    with pytest.raises(MeasureError):
        apply_import(plan, actor=None)
    assert months() == 0


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("RT1,2026-03,11,5,1", "not a Robson group"),
        ("RT1,2026-03,1,5,6", "more than its 5 women"),
        ("RT1,2026-03,1,-5,1", "whole number"),
        ("ZZ9,2026-03,1,5,1", "no trust has the ODS code"),
        ("RT1,March 2026,1,5,1", "YYYY-MM"),
        ("RT1,2026-03,1,5", "expected 5 values"),
    ],
)
def test_a_bad_row_is_refused_with_its_reason(app: Flask, row: str, reason: str) -> None:
    make_trust()

    plan = plan_import((HEADER + row + "\n").encode(), may_import=lambda _t: True)

    assert [r.line for r in plan.rejected] == [2]
    assert reason in plan.rejected[0].reason


def test_a_group_given_twice_for_one_month_is_refused(app: Flask) -> None:
    make_trust()
    data = HEADER + csv_of("RT1", "2026-03", SPLIT) + "RT1,2026-03,5,1,1\n"

    plan = plan_import(data.encode(), may_import=lambda _t: True)

    assert [r.line for r in plan.rejected] == [14]
    assert "also on line 8" in plan.rejected[0].reason


def test_an_import_refuses_trusts_the_person_may_not_give_figures_for(app: Flask) -> None:
    make_trust()

    plan = plan_import(
        (HEADER + csv_of("RT1", "2026-03", SPLIT)).encode(), may_import=lambda _t: False
    )

    assert plan.rejected and "you cannot give figures" in plan.rejected[0].reason
    assert not plan.can_apply


def test_the_command_line_imports_a_file(app: Flask, tmp_path: Path) -> None:
    trust = make_trust()
    path = tmp_path / "robson.csv"
    path.write_text(HEADER + csv_of("RT1", "2026-03", SPLIT), encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["robson", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    assert month_of(trust, MONTH) is not None


def test_the_command_line_changes_nothing_when_a_row_is_bad(app: Flask, tmp_path: Path) -> None:
    make_trust()
    path = tmp_path / "robson.csv"
    path.write_text(HEADER + csv_of("RT1", "2026-03", SPLIT) + "RT1,2026-04,1,5,9\n")

    result = app.test_cli_runner().invoke(args=["robson", "import", str(path)])

    assert result.exit_code == 1
    assert "Line 14" in result.output and "nothing was imported" in result.output
    assert months() == 0


# --- Reports -------------------------------------------------------------------------------------


def test_a_report_adds_trusts_and_months_within_the_range(app: Flask) -> None:
    one = make_trust("One NHS Trust", "RA1")
    two = make_trust("Two NHS Trust", "RA2")
    record_month(one, date(2026, 1, 1), SPLIT, unclassified=2, actor=None)
    record_month(one, date(2026, 2, 1), SPLIT, actor=None)
    record_month(two, date(2026, 2, 1), SPLIT, unclassified=3, actor=None)
    record_month(two, date(2026, 5, 1), SPLIT, actor=None)  # outside the range

    result = counted([one, two], Period(date(2026, 1, 1), date(2026, 3, 1)))

    assert result.months == 3 and result.trusts == 2
    assert result.unclassified == 5
    assert result.counts["1"] == (900, 135)
    assert result.report.total.women == 3 * sum(w for w, _ in SPLIT.values())
    assert months_with_counts([one, two]) == [date(2026, m, 1) for m in (5, 2, 1)]


def test_a_report_shows_2_and_4_whole_when_any_trust_gives_them_whole(app: Flask) -> None:
    one = make_trust("One NHS Trust", "RA1")
    two = make_trust("Two NHS Trust", "RA2")
    record_month(one, MONTH, SPLIT, actor=None)
    record_month(two, MONTH, WHOLE, actor=None)

    result = counted([one, two], None)

    assert [row.group for row in result.report.rows][:5] == ["1", "2", "3", "4", "5"]
    assert result.counts["2"] == (300, 140)


def test_a_report_of_no_months_is_empty_not_an_error(app: Flask) -> None:
    trust = make_trust()

    result = counted([trust], None)

    assert result.months == 0 and result.report.total.women == 0
    assert months_with_counts([trust]) == []
