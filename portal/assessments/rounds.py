"""The rules of a trust's self-assessment rounds: starting one against the current version of the
framework, saving answers as the team goes (partial answers allowed), completing it once every
characteristic has both positions, the gaps between current and aspired positions, how positions
moved between two rounds, the round's priorities and the trust's action plan.

A trust's rounds are private to its staff: `may_assess` is the one check, and every lookup here
is scoped by the trust. Each change is one write transaction with an audit entry that holds ids,
codes and field names, never the free text typed (evidence, actions).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from portal.assessments.models import (
    ACTION_LENGTH,
    EVIDENCE_LENGTH,
    ActionStatus,
    AssessmentRound,
    Characteristic,
    ParticipantRole,
    RoundAction,
    RoundAnswer,
    ToolkitVersion,
)
from portal.assessments.pathways import Pathway
from portal.assessments.service import PATHWAY_ORDER, current_version, framework
from portal.audit.service import record
from portal.auth.models import User
from portal.auth.permissions import is_staff_of
from portal.database import write_transaction
from portal.extensions import db, utcnow
from portal.regions.models import Trust
from portal.text import holds_control_character
from portal.web.dates import long_date, today_in_london


class RoundError(Exception):
    """A change the rules of rounds refuse; nothing was changed."""


class IncompleteRound(RoundError):
    """Completing a round that still lacks positions: `missing` lists the answers, in order."""

    def __init__(self, missing: list[RoundAnswer]) -> None:
        self.missing = missing
        listed = "; ".join(f"{a.characteristic.code} ({missing_positions(a)})" for a in missing)
        super().__init__(
            "Give the current and the aspired position of every characteristic before completing "
            f"the round. Still to give: {listed}."
        )


def missing_positions(answer: RoundAnswer) -> str:
    """Which of an answer's positions are still to give, in words."""
    lacking = [
        name
        for name, value in (
            ("current", answer.current_position),
            ("aspired", answer.aspired_position),
        )
        if value is None
    ]
    if len(lacking) == 2:
        return "current and aspired positions"
    return f"{lacking[0]} position" if lacking else ""


# --- Who, and finding rounds ---------------------------------------------------------------------


def may_assess(person: object, trust: Trust) -> bool:
    """A trust's rounds are its staff's alone: anyone else is told they do not exist (what the
    region's coordinator and the programme team see of shared rounds is counts across trusts,
    portal/assessments/network.py)."""
    return is_staff_of(person, trust.id)


def _with_answers() -> tuple[ExecutableOption, ...]:
    return (
        selectinload(AssessmentRound.answers)
        .selectinload(RoundAnswer.characteristic)
        .selectinload(Characteristic.positions),
        selectinload(AssessmentRound.version),
    )


def rounds_of(trust: Trust) -> list[AssessmentRound]:
    """The trust's rounds, the latest meeting first, with their answers."""
    return list(
        db.session.scalars(
            select(AssessmentRound)
            .where(AssessmentRound.trust_id == trust.id)
            .order_by(AssessmentRound.held_on.desc(), AssessmentRound.id.desc())
            .options(*_with_answers())
        )
    )


def round_of(trust: Trust, round_id: int) -> AssessmentRound | None:
    """One of the trust's rounds, with its answers; None for another trust's or none."""
    return db.session.scalar(
        select(AssessmentRound)
        .where(AssessmentRound.id == round_id, AssessmentRound.trust_id == trust.id)
        .options(*_with_answers())
    )


def in_progress(trust: Trust) -> AssessmentRound | None:
    return db.session.scalar(
        select(AssessmentRound).where(
            AssessmentRound.trust_id == trust.id, AssessmentRound.completed_at.is_(None)
        )
    )


def previous_round(round_: AssessmentRound) -> AssessmentRound | None:
    """The trust's last completed round before this one (by the day held, then when started)."""
    earlier = (AssessmentRound.held_on < round_.held_on) | (
        (AssessmentRound.held_on == round_.held_on) & (AssessmentRound.id < round_.id)
    )
    return db.session.scalar(
        select(AssessmentRound)
        .where(
            AssessmentRound.trust_id == round_.trust_id,
            AssessmentRound.completed_at.is_not(None),
            earlier,
        )
        .order_by(AssessmentRound.held_on.desc(), AssessmentRound.id.desc())
        .limit(1)
        .options(*_with_answers())
    )


def _order(answer: RoundAnswer) -> tuple[int, int]:
    return (PATHWAY_ORDER[answer.characteristic.pathway], answer.characteristic.place)


def ordered_answers(round_: AssessmentRound) -> list[RoundAnswer]:
    """The round's answers in the toolkit's order: by pathway, then the framework's order."""
    return sorted(round_.answers, key=_order)


def answers_in(round_: AssessmentRound, pathway: Pathway) -> list[RoundAnswer]:
    return [a for a in ordered_answers(round_) if a.characteristic.pathway is pathway]


def missing_answers(round_: AssessmentRound) -> list[RoundAnswer]:
    """The answers still lacking a position, in order."""
    return [a for a in ordered_answers(round_) if not a.is_answered]


def assessable_pathways(version: ToolkitVersion) -> list[Pathway]:
    """The pathways a round against `version` may choose: those with characteristics."""
    return [part.pathway for part in framework(version) if part.characteristics]


# --- Starting, answering, completing -------------------------------------------------------------


@dataclass(frozen=True)
class RoundStart:
    """What a team gives to start a round."""

    held_on: date
    participants: frozenset[ParticipantRole]
    pathways: frozenset[Pathway]


def _lock_trust(trust: Trust) -> None:
    """Changes to one trust's rounds take turns (PostgreSQL; SQLite's write lock does it)."""
    db.session.execute(select(Trust.id).where(Trust.id == trust.id).with_for_update())


def _locked(round_: AssessmentRound) -> AssessmentRound:
    """The round read afresh inside the write transaction, its row locked."""
    found = db.session.scalar(
        select(AssessmentRound)
        .where(AssessmentRound.id == round_.id)
        .with_for_update(of=AssessmentRound)
        .options(*_with_answers())
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise RoundError("This round no longer exists.")
    return found


def start_round(trust: Trust, start: RoundStart, *, actor: User) -> AssessmentRound:
    """Start a round against the current version, with an empty answer for each characteristic
    of the chosen pathways. One round of a trust is in progress at a time."""
    if not start.participants:
        raise RoundError("Select who took part")
    if not start.pathways:
        raise RoundError("Select at least one pathway")
    if start.held_on > today_in_london():
        raise RoundError("The date the team met must be today or in the past")
    with write_transaction():
        _lock_trust(trust)
        version = current_version()
        if version is None:
            raise RoundError("No toolkit framework has been loaded yet, so a round cannot start.")
        ongoing = in_progress(trust)
        if ongoing is not None:
            raise RoundError(
                f"The round held on {long_date(ongoing.held_on)} is still in progress: "
                "complete it before starting another."
            )
        parts = {part.pathway: part.characteristics for part in framework(version)}
        empty = [p for p in start.pathways if not parts[p]]
        if empty:
            raise RoundError(
                f"Version {version.number} of the framework has no characteristics for "
                f"{', '.join(p.label for p in sorted(empty, key=PATHWAY_ORDER.__getitem__))}."
            )
        pathways = [p for p in Pathway if p in start.pathways]
        roles = [r for r in ParticipantRole if r in start.participants]
        round_ = AssessmentRound(
            trust_id=trust.id,
            version_id=version.id,
            held_on=start.held_on,
            participants=",".join(r.value for r in roles),
            pathways=",".join(p.value for p in pathways),
            created_by_id=actor.id,
        )
        db.session.add(round_)
        for pathway in pathways:
            for characteristic in parts[pathway]:
                db.session.add(
                    RoundAnswer(round=round_, characteristic_id=characteristic.id, evidence="")
                )
        db.session.flush()
        record(
            "assessment.round_started",
            "assessment_rounds",
            round_.id,
            actor=actor,
            after={
                "trust_id": trust.id,
                "version": version.number,
                "held_on": start.held_on.isoformat(),
                "participants": [r.value for r in roles],
                "pathways": [p.value for p in pathways],
            },
        )
        db.session.commit()
    return round_


@dataclass(frozen=True)
class AnswerValues:
    """One characteristic's answer as given: a position left out (None) stays as it was."""

    current: int | None = None
    aspired: int | None = None
    evidence: str | None = None


def check_answer(answer: RoundAnswer, values: AnswerValues) -> dict[str, str]:
    """What is wrong with the values for this answer, by field ("current", "aspired",
    "evidence"): positions on the characteristic's spectrum, a note of at most 1,000 characters."""
    problems: dict[str, str] = {}
    last = len(answer.characteristic.positions)
    for name, position in (("current", values.current), ("aspired", values.aspired)):
        if position is not None and not 1 <= position <= last:
            problems[name] = f"Choose the {name} position from the {last} positions shown"
    if values.evidence is not None:
        if len(values.evidence) > EVIDENCE_LENGTH:
            problems["evidence"] = (
                f"The note of evidence must be {EVIDENCE_LENGTH:,} characters or fewer "
                f"(it has {len(values.evidence):,})"
            )
        elif holds_control_character(values.evidence.replace("\r\n", "\n").replace("\n", " ")):
            problems["evidence"] = "The note of evidence must not hold tabs or invisible characters"
    return problems


def save_answers(
    round_: AssessmentRound, values: Mapping[int, AnswerValues], *, actor: User
) -> AssessmentRound:
    """Save answers, keyed by characteristic id (as the team goes: any number, partial ones too).
    All or nothing; refused once the round is complete."""
    with write_transaction():
        round_ = _locked(round_)
        if round_.is_complete:
            raise RoundError("This round is complete, so its answers cannot be changed.")
        answers = {a.characteristic_id: a for a in round_.answers}
        changed: dict[int, list[str]] = {}
        for characteristic_id, given in values.items():
            answer = answers.get(characteristic_id)
            if answer is None:
                raise RoundError("That characteristic is not part of this round.")
            problems = check_answer(answer, given)
            if problems:
                raise RoundError(next(iter(problems.values())))
            fields = []
            if given.current is not None and given.current != answer.current_position:
                answer.current_position = given.current
                fields.append("current_position")
            if given.aspired is not None and given.aspired != answer.aspired_position:
                answer.aspired_position = given.aspired
                fields.append("aspired_position")
            if given.evidence is not None and given.evidence != answer.evidence:
                answer.evidence = given.evidence
                fields.append("evidence")
            if fields:
                changed[characteristic_id] = fields
        if changed:
            round_.updated_at = utcnow()
            record(
                "assessment.answers_saved",
                "assessment_rounds",
                round_.id,
                actor=actor,
                after={
                    "characteristic_ids": sorted(changed),
                    "fields": sorted({f for fields in changed.values() for f in fields}),
                },
            )
        db.session.commit()
    return round_


def complete_round(round_: AssessmentRound, *, actor: User) -> AssessmentRound:
    """Mark the round complete: refused, naming what is missing, until every characteristic has
    both positions. Completing a complete round changes nothing."""
    with write_transaction():
        round_ = _locked(round_)
        if round_.is_complete:
            return round_
        missing = missing_answers(round_)
        if missing:
            raise IncompleteRound(missing)
        round_.completed_at = round_.updated_at = utcnow()
        record(
            "assessment.round_completed",
            "assessment_rounds",
            round_.id,
            actor=actor,
            after={"answers": len(round_.answers)},
        )
        db.session.commit()
    return round_


def share_round(round_: AssessmentRound, shared: bool, *, actor: User) -> AssessmentRound:
    """Share a completed round with the region's coordinator and the programme team, or stop
    sharing it. Asking for the state it is already in changes nothing."""
    with write_transaction():
        round_ = _locked(round_)
        if not round_.is_complete:
            raise RoundError("Complete the round before sharing it.")
        if (round_.shared_at is not None) == shared:
            return round_
        round_.shared_at = utcnow() if shared else None
        round_.updated_at = utcnow()
        record(
            "assessment.round_shared" if shared else "assessment.round_unshared",
            "assessment_rounds",
            round_.id,
            actor=actor,
            after={"trust_id": round_.trust_id},
        )
        db.session.commit()
    return round_


# --- Gaps and movement ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """How far the team aspire to move on one characteristic: aspired minus current."""

    answer: RoundAnswer
    current: int
    aspired: int

    @property
    def size(self) -> int:
        return self.aspired - self.current

    @property
    def characteristic(self) -> Characteristic:
        return self.answer.characteristic


def gaps(round_: AssessmentRound) -> list[Gap]:
    """Every answered characteristic's gap, the largest first; equal gaps in the toolkit's order
    (pathway, then the framework's order)."""
    found = [
        Gap(a, a.current_position, a.aspired_position)
        for a in round_.answers
        if a.current_position is not None and a.aspired_position is not None
    ]
    return sorted(found, key=lambda g: (-g.size, *_order(g.answer)))


class Move(enum.StrEnum):
    """How a characteristic's current position changed from one round to a later one."""

    UP = "moved-up"
    SAME = "stayed"
    DOWN = "moved-down"
    NEW = "new"  # assessed in the later round only
    NOT_ASSESSED = "not-assessed"  # in the later version, but without a current position later
    GONE = "gone"  # no longer in the framework the later round was made against

    @property
    def label(self) -> str:
        return {
            Move.UP: "Moved up",
            Move.SAME: "Stayed",
            Move.DOWN: "Moved down",
            Move.NEW: "New: not in the earlier round",
            Move.NOT_ASSESSED: "Not assessed in the later round",
            Move.GONE: "No longer in the framework",
        }[self]


@dataclass(frozen=True)
class Movement:
    """One characteristic (by pathway and code) in two rounds: its current positions and out of
    how many, in each, and how it moved."""

    pathway: Pathway
    code: str
    wording: str
    before: int | None
    before_of: int | None
    after: int | None
    after_of: int | None
    move: Move


def _current(answer: RoundAnswer | None) -> tuple[int | None, int | None]:
    if answer is None:
        return None, None
    return answer.current_position, len(answer.characteristic.positions)


def movement(earlier: AssessmentRound, later: AssessmentRound) -> list[Movement]:
    """Each characteristic of either round, matched by pathway and code (so rounds made against
    different versions compare), in the toolkit's order: the later round's characteristics
    first within each pathway, then those only the earlier round had."""
    if earlier.trust_id != later.trust_id:
        raise ValueError("rounds of different trusts are not compared")
    key = lambda c: (c.pathway, c.code)  # noqa: E731
    before = {key(a.characteristic): a for a in earlier.answers}
    after = {key(a.characteristic): a for a in later.answers}
    in_later_version = {
        key(c): c for part in framework(later.version) for c in part.characteristics
    }
    rows: list[tuple[tuple[int, int, int], Movement]] = []
    for k, answer in after.items():
        (b, b_of), (a, a_of) = _current(before.get(k)), _current(answer)
        if a is None:
            move = Move.NOT_ASSESSED
        elif b is None:
            move = Move.NEW
        else:
            move = Move.UP if a > b else Move.DOWN if a < b else Move.SAME
        c = answer.characteristic
        rows.append(
            (
                (PATHWAY_ORDER[c.pathway], 0, c.place),
                Movement(*k, c.wording, b, b_of, a, a_of, move),
            )
        )
    for k, answer in before.items():
        if k in after:
            continue
        (b, b_of), c = _current(answer), answer.characteristic
        move = Move.NOT_ASSESSED if k in in_later_version else Move.GONE
        rows.append(
            (
                (PATHWAY_ORDER[c.pathway], 1, c.place),
                Movement(*k, c.wording, b, b_of, None, None, move),
            )
        )
    return [m for _, m in sorted(rows, key=lambda row: row[0])]


# --- Priorities and actions ----------------------------------------------------------------------


def set_priorities(
    round_: AssessmentRound, answer_ids: Iterable[int], *, actor: User
) -> AssessmentRound:
    """Mark exactly these answers of a complete round as its priorities (the others not)."""
    chosen = set(answer_ids)
    with write_transaction():
        round_ = _locked(round_)
        if not round_.is_complete:
            raise RoundError("Complete the round before choosing its priorities.")
        answers = {a.id: a for a in round_.answers}
        if chosen - answers.keys():
            raise RoundError("Choose priorities from this round’s characteristics.")
        before = sorted(a.characteristic_id for a in answers.values() if a.priority)
        for answer in answers.values():
            answer.priority = answer.id in chosen
        after = sorted(answers[i].characteristic_id for i in chosen)
        if before != after:
            round_.updated_at = utcnow()
            record(
                "assessment.priorities_set",
                "assessment_rounds",
                round_.id,
                actor=actor,
                before={"characteristic_ids": before},
                after={"characteristic_ids": after},
            )
        db.session.commit()
    return round_


@dataclass(frozen=True)
class ActionValues:
    what: str
    owner_role: ParticipantRole
    due_on: date
    status: ActionStatus = ActionStatus.NOT_STARTED


def _check_action(values: ActionValues) -> None:
    what = values.what.strip()
    if not what:
        raise RoundError("Say what will be done")
    if len(what) > ACTION_LENGTH or holds_control_character(what):
        raise RoundError(
            f"What will be done must be one line of {ACTION_LENGTH} characters or fewer"
        )


def add_action(
    round_: AssessmentRound, answer_id: int, values: ActionValues, *, actor: User
) -> RoundAction:
    """An action of the trust's plan for one characteristic of a complete round. It is kept by
    the characteristic's pathway and code, so later rounds show it while it is open."""
    _check_action(values)
    with write_transaction():
        round_ = _locked(round_)
        if not round_.is_complete:
            raise RoundError("Complete the round before writing its action plan.")
        answer = next((a for a in round_.answers if a.id == answer_id), None)
        if answer is None:
            raise RoundError("Choose a characteristic of this round.")
        action = RoundAction(
            trust_id=round_.trust_id,
            pathway=answer.characteristic.pathway,
            characteristic_code=answer.characteristic.code,
            what=values.what.strip(),
            owner_role=values.owner_role,
            due_on=values.due_on,
            status=values.status,
            created_in_round_id=round_.id,
        )
        db.session.add(action)
        db.session.flush()
        record(
            "assessment.action_added",
            "assessment_actions",
            action.id,
            actor=actor,
            after={
                "round_id": round_.id,
                "pathway": action.pathway.value,
                "characteristic_code": action.characteristic_code,
                "owner_role": action.owner_role.value,
                "due_on": action.due_on.isoformat(),
                "status": action.status.value,
            },
        )
        db.session.commit()
    return action


def update_action(action: RoundAction, values: ActionValues, *, actor: User) -> RoundAction:
    """Change an action (what, owner, due date, status); the audit names the fields changed."""
    _check_action(values)
    with write_transaction():
        found = db.session.scalar(
            select(RoundAction)
            .where(RoundAction.id == action.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if found is None:
            raise RoundError("This action no longer exists.")
        new = {
            "what": values.what.strip(),
            "owner_role": values.owner_role,
            "due_on": values.due_on,
            "status": values.status,
        }
        fields = [name for name, value in new.items() if getattr(found, name) != value]
        if fields:
            before_status = found.status
            for name in fields:
                setattr(found, name, new[name])
            found.updated_at = utcnow()
            record(
                "assessment.action_updated",
                "assessment_actions",
                found.id,
                actor=actor,
                before={"status": before_status.value},
                after={"fields": fields, "status": found.status.value},
            )
        db.session.commit()
    return found


def action_of(trust: Trust, action_id: int) -> RoundAction | None:
    return db.session.scalar(
        select(RoundAction).where(RoundAction.id == action_id, RoundAction.trust_id == trust.id)
    )


def _action_order(action: RoundAction) -> tuple[int, date, int]:
    return (0 if action.status.is_open else 1, action.due_on, action.id)


def plan_of(round_: AssessmentRound) -> list[RoundAction]:
    """The round's action plan: the actions written in it, and those of earlier rounds still
    open (carried over); open ones first, the soonest due first."""
    found = db.session.scalars(
        select(RoundAction)
        .where(RoundAction.trust_id == round_.trust_id)
        .options(selectinload(RoundAction.created_in_round))
    )
    return sorted(
        (
            a
            for a in found
            if a.created_in_round_id == round_.id
            or (a.status.is_open and a.created_in_round.held_on <= round_.held_on)
        ),
        key=_action_order,
    )


def open_actions(trust: Trust) -> dict[tuple[Pathway, str], list[RoundAction]]:
    """The trust's open actions by characteristic (pathway, code): shown in the next round."""
    by_characteristic: dict[tuple[Pathway, str], list[RoundAction]] = {}
    for action in db.session.scalars(
        select(RoundAction)
        .where(
            RoundAction.trust_id == trust.id,
            RoundAction.status.in_([s for s in ActionStatus if s.is_open]),
        )
        .order_by(RoundAction.due_on, RoundAction.id)
    ):
        by_characteristic.setdefault((action.pathway, action.characteristic_code), []).append(
            action
        )
    return by_characteristic


def overdue_actions(trust: Trust, today: date | None = None) -> list[RoundAction]:
    """The trust's open actions whose due date has passed, the longest overdue first."""
    return list(
        db.session.scalars(
            select(RoundAction)
            .where(
                RoundAction.trust_id == trust.id,
                RoundAction.status.in_([s for s in ActionStatus if s.is_open]),
                RoundAction.due_on < (today or today_in_london()),
            )
            .order_by(RoundAction.due_on, RoundAction.id)
        )
    )
