"""The demo's toolkit framework: a short INVENTED placeholder (two characteristics per pathway,
four positions each), never the NHS Institute's text, loaded from `demo_framework.csv` through
the same checks and loading as any file, and marked as a placeholder wherever it is shown; and
two self-assessment rounds of the demo trust Northgate (ZD1) against it: one completed six
months ago, with priorities and two actions (one overdue), and one in progress."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from portal.assessments.models import ActionStatus, AssessmentRound, ParticipantRole
from portal.assessments.pathways import Pathway
from portal.assessments.rounds import (
    ActionValues,
    AnswerValues,
    RoundStart,
    add_action,
    answers_in,
    complete_round,
    gaps,
    save_answers,
    set_priorities,
    start_round,
)
from portal.assessments.service import apply_import, current_version, plan_import
from portal.auth.service import find_by_email
from portal.extensions import db
from portal.regions.service import trust_by_code
from portal.web.dates import today_in_london

DEMO_FILE = Path(__file__).with_name("demo_framework.csv")
DEMO_NOTE = "Placeholder framework for demonstration — not the NHS Institute's toolkit text"
DEMO_TRUST = "ZD1"
DEMO_STAFF = "staff.northgate@example.org"
PATHWAYS = frozenset({Pathway.FIRST_PREGNANCY, Pathway.VBAC, Pathway.ORGANISATIONAL})
#: (current, aspired) of each characteristic, in order, in the first round and the second.
FIRST_ROUND = [(1, 3), (2, 3), (1, 4), (2, 2), (3, 4), (1, 2)]
SECOND_ROUND = [(2, 3), (2, 4)]


def load_demo_toolkit() -> None:
    """Load the placeholder framework, unless a framework has been loaded already; then the
    demo trust's rounds, unless it has some."""
    if current_version() is None:
        plan = plan_import(DEMO_FILE.read_bytes())
        if not plan.can_apply:  # the file ships with the code: a problem in it is a bug
            raise RuntimeError(f"{DEMO_FILE.name}: {plan.problem or plan.rejected}")
        apply_import(plan, None, DEMO_FILE.name, note=DEMO_NOTE, is_demo=True)
    load_demo_rounds()


def load_demo_rounds() -> None:
    """Northgate's two rounds against the placeholder (only while it is the current version)."""
    trust, staff, version = trust_by_code(DEMO_TRUST), find_by_email(DEMO_STAFF), current_version()
    if trust is None or staff is None or version is None or not version.is_demo:
        return
    if db.session.scalar(select(AssessmentRound.id).where(AssessmentRound.trust_id == trust.id)):
        return
    today = today_in_london()
    roles = frozenset(
        {
            ParticipantRole.OBSTETRICIAN,
            ParticipantRole.MIDWIFE,
            ParticipantRole.CONSULTANT_MIDWIFE,
            ParticipantRole.SERVICE_USER,
        }
    )
    first = start_round(
        trust, RoundStart(today - timedelta(days=182), roles, PATHWAYS), actor=staff
    )
    answers = [a for p in Pathway if p in PATHWAYS for a in answers_in(first, p)]
    save_answers(
        first,
        {
            a.characteristic_id: AnswerValues(now, aim, f"Demo note: invented evidence for {code}.")
            for a, (now, aim), code in zip(
                answers, FIRST_ROUND, (a.characteristic.code for a in answers), strict=True
            )
        },
        actor=staff,
    )
    complete_round(first, actor=staff)
    largest = gaps(first)[:2]
    set_priorities(first, [g.answer.id for g in largest], actor=staff)
    add_action(
        first,
        largest[1].answer.id,
        ActionValues(
            "Demo: agree one plan for every first birth (invented)",
            ParticipantRole.CONSULTANT_MIDWIFE,
            today - timedelta(days=14),
            ActionStatus.IN_PROGRESS,
        ),
        actor=staff,
    )
    add_action(
        first,
        largest[0].answer.id,
        ActionValues(
            "Demo: audit VBAC conversations for three months (invented)",
            ParticipantRole.OBSTETRICIAN,
            today + timedelta(days=60),
        ),
        actor=staff,
    )
    second = start_round(
        trust,
        RoundStart(today - timedelta(days=3), roles | {ParticipantRole.ANAESTHETIST}, PATHWAYS),
        actor=staff,
    )
    begun = answers_in(second, Pathway.FIRST_PREGNANCY)
    save_answers(
        second,
        {
            a.characteristic_id: AnswerValues(now, aim, "Demo note: invented evidence.")
            for a, (now, aim) in zip(begun, SECOND_ROUND, strict=True)
        },
        actor=staff,
    )
