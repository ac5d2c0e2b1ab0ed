"""A trust's self-assessment rounds, by their rules: started against the current version and
keeping its wording, answers saved as the team goes (partial, all or nothing, never after
completion), completion refused while a position is missing, the gaps largest first, movement
between rounds of different versions, priorities, actions carried over and overdue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from portal.assessments.models import (
    ActionStatus,
    AssessmentRound,
    ParticipantRole,
    RoundAction,
    RoundAnswer,
)
from portal.assessments.pathways import Pathway
from portal.assessments.rounds import (
    ActionValues,
    AnswerValues,
    IncompleteRound,
    Move,
    RoundError,
    RoundStart,
    add_action,
    complete_round,
    gaps,
    in_progress,
    may_assess,
    movement,
    open_actions,
    overdue_actions,
    plan_of,
    previous_round,
    save_answers,
    set_priorities,
    start_round,
    update_action,
)
from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.assessments.helpers import (
    ROLES,
    answer,
    begin,
    by_code,
    completed,
    framework_rows,
    load_framework,
    staff_of,
)
from tests.factories import make_user

ALL = {"VB1": (1, 3), "VB2": (2, 2), "FP1": (2, 4)}


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# --- Starting ------------------------------------------------------------------------------------


def test_a_round_starts_against_the_current_version_with_an_empty_answer_each(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    round_ = begin(staff, [Pathway.VBAC])
    assert round_.version.number == 1
    assert round_.chosen_pathways == [Pathway.VBAC]
    assert round_.participant_roles == [ParticipantRole.OBSTETRICIAN, ParticipantRole.MIDWIFE]
    assert sorted(by_code(round_)) == ["VB1", "VB2"]  # FP1's pathway was not chosen
    assert all(a.current_position is None and a.aspired_position is None for a in round_.answers)
    assert round_.shared_at is None and not round_.is_complete
    [entry] = audit("assessment.round_started")
    assert entry.after == {
        "trust_id": staff.trust_id,
        "version": 1,
        "held_on": "2026-03-14",
        "participants": ["obstetrician", "midwife"],
        "pathways": ["vbac"],
    }


def test_a_round_keeps_the_wording_of_its_version_when_a_new_one_is_loaded(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    round_ = begin(staff)
    reworded = [[p, c, f"Reworded {c}", *rest] for p, c, _, *rest in framework_rows()]
    load_framework(reworded)
    db.session.expire_all()
    assert {a.characteristic.wording for a in round_.answers} == {
        "Invented VBAC characteristic one",
        "Invented VBAC characteristic two",
        "Invented first pregnancy characteristic",
    }
    complete_round(answer(round_, staff, ALL), actor=staff)
    assert begin(staff).version.number == 2  # the next round takes the new version


def test_one_round_of_a_trust_is_in_progress_at_a_time(app: Flask) -> None:
    load_framework()
    staff, other = staff_of(), staff_of("RT2")
    first = begin(staff)
    with pytest.raises(RoundError, match="still in progress"):
        begin(staff)
    begin(other)  # another trust's round is its own
    complete_round(answer(first, staff, ALL), actor=staff)
    assert in_progress(staff.trust) is None  # type: ignore[arg-type]
    assert begin(staff).id != first.id


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (RoundStart(date(2026, 3, 14), frozenset(), frozenset({Pathway.VBAC})), "who took part"),
        (RoundStart(date(2026, 3, 14), ROLES, frozenset()), "at least one pathway"),
        (RoundStart(date.today() + timedelta(days=2), ROLES, frozenset({Pathway.VBAC})), "past"),
        (RoundStart(date(2026, 3, 14), ROLES, frozenset({Pathway.TOP_TEN})), "no characteristics"),
    ],
)
def test_a_round_is_refused_without_what_it_needs(
    app: Flask, start: RoundStart, message: str
) -> None:
    load_framework()
    staff = staff_of()
    with pytest.raises(RoundError, match=message):
        start_round(staff.trust, start, actor=staff)  # type: ignore[arg-type]
    assert db.session.scalar(select(AssessmentRound.id)) is None


def test_no_round_starts_before_a_framework_is_loaded(app: Flask) -> None:
    staff = staff_of()
    with pytest.raises(RoundError, match="No toolkit framework"):
        begin(staff)


def test_only_the_trusts_own_staff_may_assess(app: Flask) -> None:
    staff, other = staff_of(), staff_of("RT2")
    coordinator = make_user("coordinator", "c@nhs.example", region_slug="london")
    admin = make_user("admin", "a@nhs.example")
    trust = staff.trust
    assert trust is not None
    assert may_assess(staff, trust)
    assert not any(may_assess(p, trust) for p in (other, coordinator, admin, None))


# --- Answering as the team goes ------------------------------------------------------------------


def test_answers_are_saved_partially_and_a_position_left_out_stays(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    round_ = begin(staff)
    vb1 = by_code(round_)["VB1"]
    save_answers(round_, {vb1.characteristic_id: AnswerValues(2, None, "Audit, May")}, actor=staff)
    assert (vb1.current_position, vb1.aspired_position, vb1.evidence) == (2, None, "Audit, May")
    save_answers(round_, {vb1.characteristic_id: AnswerValues(None, 4, None)}, actor=staff)
    assert (vb1.current_position, vb1.aspired_position, vb1.evidence) == (2, 4, "Audit, May")
    entries = audit("assessment.answers_saved")
    assert [e.after for e in entries] == [
        {
            "characteristic_ids": [vb1.characteristic_id],
            "fields": ["current_position", "evidence"],
        },
        {"characteristic_ids": [vb1.characteristic_id], "fields": ["aspired_position"]},
    ]
    assert "Audit" not in str([e.after for e in entries])  # the note stays out of the log
    save_answers(round_, {vb1.characteristic_id: AnswerValues(2, 4, None)}, actor=staff)
    assert len(audit("assessment.answers_saved")) == 2  # nothing changed, nothing recorded


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (AnswerValues(5, None), "current position from the 4"),
        (AnswerValues(None, 0), "aspired position from the 4"),
        (AnswerValues(None, None, "x" * 1001), "1,000 characters or fewer"),
    ],
)
def test_answers_off_the_spectrum_are_refused_and_nothing_is_saved(
    app: Flask, values: AnswerValues, message: str
) -> None:
    load_framework()
    staff = staff_of()
    round_ = begin(staff)
    vb1, vb2 = by_code(round_)["VB1"], by_code(round_)["VB2"]
    with pytest.raises(RoundError, match=message):
        save_answers(
            round_,
            {vb1.characteristic_id: AnswerValues(3, 3), vb2.characteristic_id: values},
            actor=staff,
        )
    db.session.expire_all()
    assert vb1.current_position is None  # all or nothing


def test_answers_of_another_round_are_refused(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    round_ = begin(staff, [Pathway.VBAC])
    fp1 = by_code(begin(staff_of("RT2"), [Pathway.FIRST_PREGNANCY]))["FP1"]
    with pytest.raises(RoundError, match="not part of this round"):
        save_answers(round_, {fp1.characteristic_id: AnswerValues(1, 2)}, actor=staff)


def test_the_database_refuses_positions_below_one_and_long_notes(app: Flask) -> None:
    load_framework()
    round_ = begin(staff_of())
    answer_id = round_.answers[0].id
    for column, value in (
        ("current_position", 0),
        ("aspired_position", -1),
        ("evidence", "x" * 1001),
    ):
        # SQLite refuses by the CHECK constraint; PostgreSQL by the column's length first.
        with pytest.raises((IntegrityError, DataError)), db.session.begin_nested():
            db.session.execute(
                RoundAnswer.__table__.update()  # type: ignore[attr-defined]
                .where(RoundAnswer.id == answer_id)
                .values({column: value})
            )


# --- Completing ----------------------------------------------------------------------------------


def test_completing_is_refused_naming_each_missing_position(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    round_ = answer(begin(staff), staff, {"VB1": (1, None), "FP1": (2, 3)})
    with pytest.raises(IncompleteRound) as refused:
        complete_round(round_, actor=staff)
    assert [a.characteristic.code for a in refused.value.missing] == ["VB1", "VB2"]
    assert str(refused.value).endswith(
        "Still to give: VB1 (aspired position); VB2 (current and aspired positions)."
    )
    assert not round_.is_complete and audit("assessment.round_completed") == []
    answer(round_, staff, {"VB1": (1, 1), "VB2": (3, 4)})
    complete_round(round_, actor=staff)
    assert round_.is_complete
    complete_round(round_, actor=staff)  # again: nothing more happens
    assert len(audit("assessment.round_completed")) == 1
    with pytest.raises(RoundError, match="complete"):
        answer(round_, staff, {"VB1": (2, 2)})


# --- Gaps and movement ---------------------------------------------------------------------------


def test_gaps_are_aspired_minus_current_largest_first_ties_in_the_toolkits_order(
    app: Flask,
) -> None:
    rows = framework_rows(
        [
            ("vbac", "VB1", "One"),
            ("vbac", "VB2", "Two"),
            ("first-pregnancy", "FP1", "Three"),
            ("first-pregnancy", "FP2", "Four"),
            ("organisational", "OR1", "Five"),
        ],
        positions=5,
    )
    load_framework(rows)
    staff = staff_of()
    positions = {"VB1": (1, 3), "VB2": (2, 4), "FP1": (4, 4), "FP2": (1, 3), "OR1": (5, 3)}
    round_ = completed(
        staff, positions, pathways=[Pathway.VBAC, Pathway.FIRST_PREGNANCY, Pathway.ORGANISATIONAL]
    )
    found = [(g.characteristic.code, g.size) for g in gaps(round_)]
    # Gaps of 2: first pregnancy comes before VBAC in the toolkit; within VBAC, the file's order.
    assert found == [("FP2", 2), ("VB1", 2), ("VB2", 2), ("FP1", 0), ("OR1", -2)]


def test_gaps_leave_out_characteristics_without_both_positions(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    round_ = answer(begin(staff), staff, {"VB1": (1, 4), "VB2": (2, None)})
    assert [(g.characteristic.code, g.size) for g in gaps(round_)] == [("VB1", 3)]


def test_movement_matches_characteristics_by_pathway_and_code_across_versions(
    app: Flask,
) -> None:
    load_framework(
        framework_rows(
            [
                ("vbac", "VB1", "One"),
                ("vbac", "VB2", "Two"),
                ("vbac", "VB3", "Three"),
                ("first-pregnancy", "FP1", "Four"),
                ("first-pregnancy", "FP2", "Five"),
            ]
        )
    )
    staff = staff_of()
    earlier = completed(
        staff,
        {"VB1": (1, 3), "VB2": (3, 3), "VB3": (2, 4), "FP1": (1, 2), "FP2": (2, 2)},
        held_on=date(2025, 9, 1),
    )
    # Version 2: VB3 left out, VB4 added; the later round does not assess first pregnancy.
    load_framework(
        framework_rows(
            [
                ("vbac", "VB1", "One"),
                ("vbac", "VB2", "Two, reworded"),
                ("vbac", "VB4", "Six"),
                ("first-pregnancy", "FP1", "Four"),
                ("first-pregnancy", "FP2", "Five"),
            ]
        )
    )
    later = answer(
        begin(staff, [Pathway.VBAC], held_on=date(2026, 3, 1)),
        staff,
        {"VB1": (2, 3), "VB2": (3, 4), "VB4": (1, 2)},
    )
    rows = [(m.pathway, m.code, m.before, m.after, m.move) for m in movement(earlier, later)]
    assert rows == [
        (Pathway.FIRST_PREGNANCY, "FP1", 1, None, Move.NOT_ASSESSED),
        (Pathway.FIRST_PREGNANCY, "FP2", 2, None, Move.NOT_ASSESSED),
        (Pathway.VBAC, "VB1", 1, 2, Move.UP),
        (Pathway.VBAC, "VB2", 3, 3, Move.SAME),
        (Pathway.VBAC, "VB4", None, 1, Move.NEW),
        (Pathway.VBAC, "VB3", 2, None, Move.GONE),
    ]
    assert previous_round(later) == earlier
    assert previous_round(earlier) is None


def test_a_lower_current_position_is_moved_down(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    earlier = completed(staff, ALL, held_on=date(2025, 9, 1))
    later = completed(staff, {**ALL, "VB2": (1, 2)}, held_on=date(2026, 3, 1))
    moves = {m.code: m.move for m in movement(earlier, later)}
    assert moves == {"FP1": Move.SAME, "VB1": Move.SAME, "VB2": Move.DOWN}
    with pytest.raises(ValueError):
        movement(earlier, completed(staff_of("RT2"), ALL))


# --- Priorities and actions ----------------------------------------------------------------------


def test_priorities_are_chosen_from_a_completed_round(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    round_ = begin(staff)
    with pytest.raises(RoundError, match="Complete the round"):
        set_priorities(round_, [], actor=staff)
    complete_round(answer(round_, staff, ALL), actor=staff)
    answers = by_code(round_)
    set_priorities(round_, [answers["VB1"].id, answers["FP1"].id], actor=staff)
    set_priorities(round_, [answers["VB1"].id], actor=staff)
    assert [a.characteristic.code for a in round_.answers if a.priority] == ["VB1"]
    entry = audit("assessment.priorities_set")[-1]
    assert entry.before == {
        "characteristic_ids": sorted(
            [answers["VB1"].characteristic_id, answers["FP1"].characteristic_id]
        )
    }
    assert entry.after == {"characteristic_ids": [answers["VB1"].characteristic_id]}
    with pytest.raises(RoundError, match="this round"):
        set_priorities(round_, [answers["VB1"].id + 1000], actor=staff)


def test_actions_carry_over_to_the_next_round_until_done_and_show_overdue(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    trust = staff.trust
    assert trust is not None
    first = completed(staff, ALL, held_on=date(2025, 9, 1))
    vb1 = by_code(first)["VB1"]
    with pytest.raises(RoundError, match="Complete the round"):
        add_action(
            begin(staff_of("RT2")),
            0,
            ActionValues("x", ParticipantRole.MIDWIFE, date(2026, 1, 1)),
            actor=staff,
        )
    late = add_action(
        first,
        vb1.id,
        ActionValues("Audit VBAC talks", ParticipantRole.OBSTETRICIAN, date(2025, 12, 1)),
        actor=staff,
    )
    later_due = add_action(
        first,
        vb1.id,
        ActionValues(
            "Leaflet", ParticipantRole.MIDWIFE, date(2026, 6, 1), ActionStatus.IN_PROGRESS
        ),
        actor=staff,
    )
    assert (late.pathway, late.characteristic_code, late.trust_id) == (
        Pathway.VBAC,
        "VB1",
        trust.id,
    )
    assert audit("assessment.action_added")[0].after == {
        "round_id": first.id,
        "pathway": "vbac",
        "characteristic_code": "VB1",
        "owner_role": "obstetrician",
        "due_on": "2025-12-01",
        "status": "not-started",
    }
    # The next round, against a new version, still shows them by pathway and code.
    load_framework([[p, c, f"New {c}", *rest] for p, c, _, *rest in framework_rows()])
    second = begin(staff, held_on=date(2026, 3, 1))
    assert open_actions(trust)[(Pathway.VBAC, "VB1")] == [late, later_due]
    assert overdue_actions(trust, date(2026, 3, 1)) == [late]
    assert overdue_actions(trust, date(2025, 12, 1)) == []  # due that day: not yet overdue
    update_action(
        late,
        ActionValues(
            "Audit VBAC talks", ParticipantRole.OBSTETRICIAN, date(2025, 12, 1), ActionStatus.DONE
        ),
        actor=staff,
    )
    assert overdue_actions(trust, date(2026, 3, 1)) == []
    assert open_actions(trust)[(Pathway.VBAC, "VB1")] == [later_due]
    entry = audit("assessment.action_updated")[0]
    assert (entry.before, entry.after) == (
        {"status": "not-started"},
        {"fields": ["status"], "status": "done"},
    )
    # The first round's plan keeps the done action; the second's carries over the open one.
    assert plan_of(first) == [later_due, late]
    assert plan_of(second) == [later_due]


def test_an_action_needs_what_will_be_done(app: Flask) -> None:
    load_framework()
    staff = staff_of()
    round_ = completed(staff, ALL)
    for what in ("  ", "x" * 501, "two\nlines"):
        with pytest.raises(RoundError):
            add_action(
                round_,
                round_.answers[0].id,
                ActionValues(what, ParticipantRole.MIDWIFE, date(2026, 6, 1)),
                actor=staff,
            )
    with pytest.raises(RoundError, match="characteristic of this round"):
        add_action(
            round_, 0, ActionValues("Audit", ParticipantRole.MIDWIFE, date(2026, 6, 1)), actor=staff
        )
    assert db.session.scalar(select(RoundAction.id)) is None
