"""The demo's toolkit framework: a short INVENTED placeholder (two characteristics per pathway,
four positions each), never the NHS Institute's text, loaded from `demo_framework.csv` through
the same checks and loading as any file, and marked as a placeholder wherever it is shown; and
two self-assessment rounds of the demo trust Northgate (ZD1) against it: one completed six
months ago, with priorities and two actions (one overdue), and one in progress; and, so that
coordinators and the programme team have something to look at, Northgate's completed round and
invented rounds of the other participating demo trusts shared with the network, with the focus of
an event to come in the North East chosen from that region's priorities."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from portal.assessments.models import (
    ActionStatus,
    AssessmentRound,
    ParticipantRole,
    RoundAnswer,
    ToolkitVersion,
)
from portal.assessments.network import focus_by_event, network_picture, set_focus
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
    share_round,
    start_round,
)
from portal.assessments.service import apply_import, current_version, framework, plan_import
from portal.auth.service import find_by_email
from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, utcnow
from portal.regions.models import Trust
from portal.regions.service import region_by_slug, trust_by_code, trusts_of
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
    load_demo_network()


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


DEMO_COORDINATOR = "coordinator.north-east@example.org"


def load_demo_network() -> None:
    """Share Northgate's completed round; give every other participating demo trust invented
    shared rounds (some two, six months apart, to show movement); choose the focus of the North
    East's next event from its priorities. Only while the placeholder is the current version,
    and only for trusts without rounds."""
    version = current_version()
    staff = find_by_email(DEMO_STAFF)
    if version is None or not version.is_demo or staff is None:
        return
    northgate = trust_by_code(DEMO_TRUST)
    first = db.session.scalar(
        select(AssessmentRound)
        .where(AssessmentRound.trust_id == (northgate.id if northgate else None))
        .where(AssessmentRound.completed_at.is_not(None))
        .order_by(AssessmentRound.held_on)
        .limit(1)
    )
    if first is not None and first.shared_at is None:
        share_round(first, True, actor=staff)
    today = today_in_london()
    others = db.session.scalars(
        select(Trust)
        .where(Trust.is_demo.is_(True), Trust.participating.is_(True), Trust.ods_code != DEMO_TRUST)
        .order_by(Trust.ods_code)
    )
    for number, trust in enumerate(list(others)):
        if db.session.scalar(
            select(AssessmentRound.id).where(AssessmentRound.trust_id == trust.id)
        ):
            continue
        chance = random.Random(trust.ods_code)  # the same invented answers on every run
        latest = today - timedelta(days=20 + 9 * number)
        if number % 2 == 0:
            _invented_round(trust, version, latest - timedelta(days=182), chance, start=1)
        _invented_round(trust, version, latest, chance, start=2)
    db.session.commit()
    _demo_focus()


def _invented_round(
    trust: Trust, version: ToolkitVersion, held_on: date, chance: random.Random, *, start: int
) -> None:
    """A completed round, shared, with invented positions (current from 1 or 2 up, aspired at or
    above it) and its two largest gaps as priorities; written directly, as seed data."""
    now = utcnow()
    pathways = [part for part in framework(version) if part.characteristics]
    round_ = AssessmentRound(
        trust_id=trust.id,
        version_id=version.id,
        held_on=held_on,
        participants=",".join(
            r.value for r in (ParticipantRole.MIDWIFE, ParticipantRole.OBSTETRICIAN)
        ),
        pathways=",".join(part.pathway.value for part in pathways),
        started_at=now,
        updated_at=now,
        completed_at=now,
        shared_at=now,
    )
    db.session.add(round_)
    db.session.flush()
    answers = []
    for part in pathways:
        for characteristic in part.characteristics:
            last = len(characteristic.positions)
            current = chance.randint(1, min(start + 1, last))
            answers.append(
                RoundAnswer(
                    round_id=round_.id,
                    characteristic_id=characteristic.id,
                    current_position=current,
                    aspired_position=chance.randint(current, last),
                    evidence="Demo note: invented evidence.",
                )
            )
    for answer in sorted(answers, key=lambda a: -(a.gap or 0))[:2]:
        answer.priority = True
    db.session.add_all(answers)


def _demo_focus() -> None:
    """The North East's next published event focuses on the region's two most frequent
    priorities, unless its focus is chosen already."""
    region, coordinator = region_by_slug("north-east"), find_by_email(DEMO_COORDINATOR)
    if region is None or coordinator is None:
        return
    event = db.session.scalar(
        select(NetworkEvent)
        .where(
            NetworkEvent.region_id == region.id,
            NetworkEvent.state == EventState.PUBLISHED,
            NetworkEvent.event_date >= today_in_london(),
        )
        .order_by(NetworkEvent.event_date)
        .limit(1)
    )
    if event is None or focus_by_event([event])[event.id]:
        return
    top = network_picture(trusts_of(region)).priorities[:2]
    if top:
        set_focus(event, [c.key for c in top], actor=coordinator)
