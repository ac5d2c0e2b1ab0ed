"""Demo improvement stories: every state, trusts in most regions, all five pathways, some with
measures and some presented at a network event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from portal.auth.service import find_by_email
from portal.events.models import NetworkEvent
from portal.extensions import db, utcnow
from portal.regions.service import trust_by_code
from portal.stories.models import (
    Measure,
    Pathway,
    Story,
    StoryCharacteristic,
    StoryMeasure,
    StoryPathway,
    StoryState,
)

NOTE = "\n\n*This is a demo story with invented details and figures.*"

# (trust ODS code, state, title, summary, body, pathways, measures, presented at (event title))
DEMO_STORIES: tuple[tuple[Any, ...], ...] = (
    (
        "ZD1",
        StoryState.PUBLISHED,
        "A VBAC clinic run by midwives",
        "We opened a weekly midwife-led clinic for women who had a caesarean before; more of them now plan a vaginal birth.",
        "## What we changed\n\nWomen with a previous caesarean were seen by an obstetrician at 36 weeks, "
        "often too late to talk through their options. We started a **weekly VBAC clinic** run by two "
        "consultant midwives, seeing women from 20 weeks.\n\n## What happened\n\n* more women chose to "
        "plan a vaginal birth\n* fewer elective caesareans were booked before 39 weeks\n\n## What others "
        "can learn\n\nStart small: one clinic, one room, a clear referral rule.",
        [Pathway.VBAC, Pathway.ELECTIVE_CS],
        [(Measure.VBAC, 22.0, "April 2007 to March 2008", 31.5, "April to September 2009")],
        None,
    ),
    (
        "ZD1",
        StoryState.DRAFT,
        "Continuous support in labour",
        "",
        "Notes so far: every woman in established labour has a midwife with her the whole time.",
        [Pathway.FIRST_PREGNANCY],
        [],
        None,
    ),
    (
        "ZD2",
        StoryState.PUBLISHED,
        "Staying at home in early labour",
        "Women in their first labour who are given clear advice and a phone call stay at home longer, and fewer are admitted before labour is established.",
        "## What we changed\n\nWe wrote a leaflet with women, set up a triage phone line staffed by an "
        "experienced midwife, and stopped routine admission in the latent phase.\n\n## What happened\n\n"
        "Admissions in early labour fell by a third, and the emergency caesarean rate for first "
        "births fell too.",
        [Pathway.FIRST_PREGNANCY, Pathway.TOP_TEN],
        [
            (Measure.EMERGENCY_CS, 15.2, "2007–08", 12.9, "2009–10 (first half)"),
            (Measure.TOTAL_CS, 25.8, "2007–08", 22.4, "2009–10 (first half)"),
        ],
        None,
    ),
    (
        "ZD4",
        StoryState.PUBLISHED,
        "A consultant on the labour ward at night",
        "Extending consultant presence on the labour ward into the evening changed how decisions about caesareans were made.",
        "## What we changed\n\nConsultants now stay on the labour ward until 10pm and review every "
        "decision for an emergency caesarean made out of hours the next morning, with the team.\n\n"
        "## What others can learn\n\nThe review meeting mattered as much as the extra hours.",
        [Pathway.ORGANISATIONAL],
        [(Measure.TOTAL_CS, 29.1, "April 2007 to March 2008", 26.0, "April 2008 to March 2009")],
        None,
    ),
    (
        "ZD4",
        StoryState.SUBMITTED,
        "Reviewing every elective caesarean for maternal request",
        "A second opinion and a conversation with a senior midwife before any caesarean for maternal request.",
        "## What we changed\n\nEvery request for a caesarean without a medical reason is now seen by a "
        "senior midwife and a second consultant, who talk through what worries the woman.",
        [Pathway.ELECTIVE_CS],
        [],
        None,
    ),
    (
        "ZD5",
        StoryState.RETURNED,
        "Birth pools on every delivery suite room",
        "We bought portable birth pools so that any woman can use water in labour.",
        "We bought six portable pools and trained every midwife.",
        [Pathway.FIRST_PREGNANCY],
        [(Measure.NORMAL_BIRTH, 38.0, "2007", 41.0, "2009")],
        None,
    ),
    (
        "ZD7",
        StoryState.PUBLISHED,
        "The top ten characteristics as a team self-assessment",
        "Our whole team scored itself against the toolkit's top ten characteristics, then picked three to work on first.",
        "## What we changed\n\nWe ran three half-day sessions where midwives, obstetricians and "
        "anaesthetists scored the unit against the **top ten characteristics** of units with low "
        "caesarean rates. We chose leadership, a shared philosophy of normal birth, and audit.\n\n"
        "## What happened\n\nMonthly audit of caesarean rates by Robson group is now shared on the ward.",
        [Pathway.TOP_TEN, Pathway.ORGANISATIONAL],
        [],
        None,
    ),
    (
        "ZD9",
        StoryState.PUBLISHED,
        "Robson groups on the ward noticeboard",
        "Sharing caesarean rates by Robson group each month showed us where to act, and we presented what we found at the South West launch.",
        "## What we changed\n\nEvery month the audit midwife posts the caesarean rate for each of the "
        "ten Robson groups, compared with the year before.\n\n## What happened\n\nThe team focused on "
        "group 5 (women with a previous caesarean) and the elective rate fell.",
        [Pathway.ORGANISATIONAL, Pathway.VBAC],
        [(Measure.ELECTIVE_CS, 11.4, "2007–08", 9.8, "2008–09")],
        "South West launch event",
    ),
    (
        "ZD9",
        StoryState.WITHDRAWN,
        "Induction of labour at 41 weeks",
        "We changed when we offer induction of labour, and looked at what happened to caesarean rates.",
        "A story the trust withdrew to check its figures.",
        [Pathway.FIRST_PREGNANCY],
        [],
        "South West launch event",
    ),
    (
        "ZE2",
        StoryState.PUBLISHED,
        "Debriefing women after a caesarean",
        "A midwife now talks every woman through her caesarean before she goes home, and again at six weeks if she wants to.",
        "## What we changed\n\nWomen told us they left hospital not knowing why they had a caesarean, "
        "or what it meant for a next birth. A midwife now goes through the birth with each woman "
        "before she goes home and offers a second conversation six weeks later.\n\n## What happened\n\n"
        "More women came to the VBAC clinic in their next pregnancy already knowing their options.",
        [Pathway.VBAC],
        [],
        "East of England launch event",
    ),
    (
        "ZF1",
        StoryState.PUBLISHED,
        "A triage line for early labour",
        "An experienced midwife answers every call from a woman who thinks she is in labour, with the same advice day and night.",
        "## What we changed\n\nCalls went to whoever was free on the labour ward. We set up one "
        "number, staffed by an experienced midwife with a written guide agreed by the whole team.\n\n"
        "## What others can learn\n\nWrite the guide with the women who will use the line.",
        [Pathway.FIRST_PREGNANCY],
        [(Measure.TOTAL_CS, 27.3, "2007–08", 25.1, "2008–09")],
        "Early labour and triage: what works",
    ),
    (
        "ZG1",
        StoryState.PUBLISHED,
        "A birth centre beside the labour ward",
        "Opening a midwife-led birth centre next to the labour ward gave women at low risk a real choice of where to give birth.",
        "## What we changed\n\nWe turned four labour rooms into a midwife-led birth centre, with its "
        "own team and clear rules for moving to the labour ward.\n\n## What happened\n\nA quarter of "
        "women at low risk now give birth in the centre, and the normal birth rate rose.",
        [Pathway.ORGANISATIONAL, Pathway.FIRST_PREGNANCY],
        [(Measure.NORMAL_BIRTH, 39.5, "2007–08", 44.0, "2008–09")],
        "Birth centres and midwife-led care",
    ),
    (
        "ZH1",
        StoryState.PUBLISHED,
        "Asking women what made them choose a repeat caesarean",
        "Interviews with women who chose a second caesarean changed what our clinic says, and when.",
        "## What we changed\n\nA service user representative and a midwife talked to 20 women who "
        "had chosen a repeat caesarean. Most had decided before anyone discussed the options with "
        "them, so the first conversation now happens at booking.",
        [Pathway.VBAC, Pathway.ELECTIVE_CS],
        [],
        "VBAC: what women told us",
    ),
    (
        "ZF5",
        StoryState.PUBLISHED,
        "One team's self-assessment against the top ten",
        "Midwives, obstetricians and managers scored the unit together, and agreed three things to change first.",
        "## What we changed\n\nWe held the self-assessment as a workshop, with every profession in "
        "the room, and kept the scores on the ward wall for a year.",
        [Pathway.TOP_TEN],
        [],
        None,
    ),
    (
        "ZG6",
        StoryState.SUBMITTED,
        "Emergency caesareans reviewed at the morning handover",
        "Each morning the team looks back at the night's emergency caesareans, to learn together rather than to blame.",
        "## What we changed\n\nThe consultant, the labour ward coordinator and the night team spend "
        "ten minutes of the handover on each emergency caesarean of the night: what was known, what "
        "was decided, and what would help next time.",
        [Pathway.FIRST_PREGNANCY, Pathway.ORGANISATIONAL],
        [],
        None,
    ),
)


#: The characteristics of the demo framework (portal/assessments/demo_framework.csv) that demo
#: stories cite, by title: named by pathway and code, as every citation is.
DEMO_CITATIONS: dict[str, list[tuple[Pathway, str]]] = {
    "A VBAC clinic run by midwives": [(Pathway.VBAC, "VB1")],
    "Staying at home in early labour": [(Pathway.FIRST_PREGNANCY, "FP2")],
}


def load_demo_stories() -> None:
    now = utcnow()
    reviewer = find_by_email("admin@example.org")
    for age, (code, state, title, summary, body, pathways, measures, event_title) in enumerate(
        DEMO_STORIES
    ):
        trust = trust_by_code(code)
        if trust is None or db.session.scalar(
            select(Story.id).where(Story.trust_id == trust.id, Story.title == title)
        ):
            continue
        staff = {"ZD1": "staff.northgate@example.org", "ZD4": "staff.thameside@example.org"}
        person = find_by_email(staff[code]) if code in staff else None
        event_id = None
        if event_title:
            event_id = db.session.scalar(
                select(NetworkEvent.id).where(NetworkEvent.title == event_title).limit(1)
            )
        when = now - timedelta(days=3 * (len(DEMO_STORIES) - age))
        story = Story(
            trust=trust,
            author_id=person.id if person else None,
            title=title,
            summary=summary,
            body=body + NOTE,
            state=state,
            event_id=event_id,
            is_demo=True,
            created_at=when - timedelta(days=7),
            updated_at=when,
        )
        story.pathway_links = [StoryPathway(pathway=p) for p in pathways]
        story.characteristic_links = [
            StoryCharacteristic(pathway=pathway, characteristic_code=code)
            for pathway, code in DEMO_CITATIONS.get(title, [])
        ]
        if title == "A VBAC clinic run by midwives":
            story.chart_measure = Measure.VBAC  # Northgate's demo figures are published
        story.measures = [
            StoryMeasure(
                measure=m,
                baseline_value=bv,
                baseline_period=bp,
                latest_value=lv,
                latest_period=lp,
            )
            for m, bv, bp, lv, lp in measures
        ]
        if state is not StoryState.DRAFT:
            story.author_declared_no_pii = True
            story.submitted_at = when - timedelta(days=2)
        if state in (StoryState.PUBLISHED, StoryState.WITHDRAWN, StoryState.RETURNED):
            story.reviewed_at = when - timedelta(days=1)
            story.reviewed_by_id = reviewer.id if reviewer else None
        if state in (StoryState.PUBLISHED, StoryState.WITHDRAWN):
            story.reviewer_confirmed_no_pii = True
            story.published_at = when - timedelta(days=1)
        if state is StoryState.WITHDRAWN:
            story.withdrawn_at = when
        if state is StoryState.RETURNED:
            story.review_comment = (
                "Thank you. Please say what happened after the pools arrived, and give the periods "
                "your normal birth rates cover (demo)."
            )
        db.session.add(story)
    db.session.commit()
