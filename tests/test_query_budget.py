"""Each list and detail page runs as many SQL statements with ten times the data: no N+1.

The data grows in units; every unit adds, in each of the ten regions, two trusts, an upcoming and
a past event with bookings from both trusts, published and submitted stories (some linked to the
events, some quoting measures), people, audit entries and failed mail. Each page is counted on
one unit, then again after nine more.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, insert, select

from portal.assessments.models import AssessmentRound, Characteristic, EventFocus, RoundAnswer
from portal.assessments.service import current_version
from portal.audit.models import AuditEntry
from portal.auth.models import Role, User
from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, utcnow
from portal.mail.models import MailStatus, OutboxMessage
from portal.measures.models import MeasureChange, MeasureSettings, MonthlyCounts
from portal.regions.models import Region, Trust
from portal.registrations.models import JobRole, Registration, RegistrationState
from portal.robson.models import RobsonCount, RobsonMonth
from portal.robson.service import POSITION
from portal.stories.models import (
    Measure,
    Pathway,
    Story,
    StoryCharacteristic,
    StoryMeasure,
    StoryPathway,
    StoryState,
)
from portal.web.dates import programme_year, today_in_london
from portal.web.pagecache import page_cache
from tests.assessments.helpers import load_framework
from tests.client import PortalClient
from tests.factories import make_user

# (who, path): {names} are filled from the first region's objects.
PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/events"),
    ("anonymous", "/events?when=past"),
    ("anonymous", "/events/{event}"),
    ("anonymous", "/regions"),
    ("anonymous", "/regions/{region}"),
    ("anonymous", "/trusts"),
    ("anonymous", "/trusts/{trust}"),
    ("anonymous", "/stories"),
    ("anonymous", "/stories?q=birth"),
    ("anonymous", "/stories?region={region}&pathway=vbac&measure=vbac"),
    ("anonymous", "/stories/{story}"),
    ("anonymous", "/feeds/events.ics"),
    ("anonymous", "/feeds/regions/{region}.ics"),
    ("anonymous", "/feeds/stories.atom"),
    ("anonymous", "/feeds/regions/{region}/stories.atom"),
    ("trust", "/"),
    ("coordinator", "/"),
    ("admin", "/"),
    ("trust", "/events"),
    ("trust", "/events/{event}"),
    ("trust", "/events/{event}/book"),
    ("trust", "/bookings"),
    ("trust", "/stories/{draft}/edit"),
    ("trust", "/stories/mine"),
    ("trust", "/stories/{story}"),  # with the wording of the characteristics it cites
    ("trust", "/account"),
    ("coordinator", "/manage/events"),
    ("admin", "/manage/events"),
    ("coordinator", "/events/{event}/attendees"),
    ("coordinator", "/events/{event}/register"),
    ("coordinator", "/events/{event}/edit"),
    ("coordinator", "/events/{event}/attendees.csv"),
    ("coordinator", "/stories/review"),
    ("coordinator", "/team"),
    ("admin", "/admin/people"),
    ("admin", "/admin/trusts"),
    ("admin", "/admin/regions"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/mail"),
    ("trust", "/trusts/{trust}/measures"),
    ("trust", "/trusts/{trust}/measures/months"),
    ("trust", "/trusts/{trust}/measures/total-cs.csv"),
    ("coordinator", "/measures"),
    ("admin", "/measures"),
    ("trust", "/trusts/{trust}/robson"),
    ("trust", "/trusts/{trust}/robson/months"),
    ("trust", "/trusts/{trust}/robson.csv"),
    ("coordinator", "/regions/{region}/robson"),
    ("coordinator", "/regions/{region}/self-assessment"),
    ("coordinator", "/events/{event}/focus"),
    ("admin", "/self-assessment"),
    ("admin", "/self-assessment.csv"),
    ("admin", "/robson"),
]


def add_unit(unit: int) -> None:
    """One unit of data in every region (see the module's docstring)."""
    now = utcnow()
    today = today_in_london()
    regions = list(db.session.scalars(select(Region).order_by(Region.sort_order)))
    for index, region in enumerate(regions):
        trust_ids = []
        for n in range(2):
            trust_ids.append(
                db.session.scalar(
                    insert(Trust)
                    .values(
                        name=f"Budget Trust {unit}-{index}-{n}",
                        ods_code=f"Q{unit:02d}{index}{n}",
                        region_id=region.id,
                        participating=n == 0,
                    )
                    .returning(Trust.id)
                )
            )
        event_ids = []
        for offset in (20 + unit, -(20 + unit)):
            day = today + timedelta(days=offset)
            event_ids.append(
                db.session.scalar(
                    insert(NetworkEvent)
                    .values(
                        uid=f"{secrets.token_hex(8)}@test",
                        region_id=region.id,
                        title=f"Budget event {unit} {offset}",
                        summary="A summary",
                        description="A description",
                        event_date=day,
                        start_time=time(9, 30),
                        end_time=time(16),
                        venue_name="Hall",
                        capacity=100,
                        registration_deadline=day - timedelta(days=1),
                        state=EventState.PUBLISHED,
                        programme_year=programme_year(day),
                        # Slots only need to be unique here; the service keeps them to three.
                        slot=100 + unit * 2 + (offset < 0),
                        published_at=now,
                    )
                    .returning(NetworkEvent.id)
                )
            )
        db.session.execute(
            insert(Registration),
            [
                {
                    "event_id": event_id,
                    "trust_id": trust_ids[n % 2],
                    "attendee_name": f"Person {n}",
                    "attendee_email": f"p{unit}.{index}.{n}@example.org",
                    "job_role": JobRole.MIDWIFE,
                    "state": RegistrationState.CONFIRMED,
                    "confirmed_at": now,
                    "dietary_needs": "Vegetarian" if n % 3 == 0 else "",
                    "checked_in_at": now if event_id == event_ids[1] and n < 2 else None,
                }
                for event_id in event_ids
                for n in range(6)
            ],
        )
        for n, trust_id in enumerate(trust_ids):
            for state in (StoryState.PUBLISHED, StoryState.PUBLISHED, StoryState.SUBMITTED):
                story_id = db.session.scalar(
                    insert(Story)
                    .values(
                        trust_id=trust_id,
                        event_id=event_ids[1] if n == 0 else None,
                        title=f"Birth story {unit} {index} {n}",
                        summary="Normal birth",
                        body="Births rose.",
                        state=state,
                        author_declared_no_pii=True,
                        reviewer_confirmed_no_pii=state is StoryState.PUBLISHED,
                        published_at=now if state is StoryState.PUBLISHED else None,
                        submitted_at=now,
                    )
                    .returning(Story.id)
                )
                db.session.execute(
                    insert(StoryPathway),
                    [{"story_id": story_id, "pathway": p} for p in (Pathway.VBAC, Pathway.TOP_TEN)],
                )
                db.session.execute(
                    insert(StoryCharacteristic),
                    [
                        {"story_id": story_id, "pathway": p, "characteristic_code": code}
                        for p, code in ((Pathway.VBAC, "VB1"), (Pathway.FIRST_PREGNANCY, "FP1"))
                    ],
                )
                db.session.execute(
                    insert(StoryMeasure).values(
                        story_id=story_id,
                        measure=Measure.VBAC,
                        baseline_value=20,
                        baseline_period="2007",
                        latest_value=25,
                        latest_period="2009",
                    )
                )
            db.session.execute(
                insert(User).values(
                    email=f"budget{unit}.{index}.{n}@example.org",
                    role=Role.TRUST,
                    trust_id=trust_id,
                    name=f"Budget {unit}",
                )
            )
        # A year of monthly counts for the new trusts and for the region's first trust, whose
        # charts then hold one more year, and one more change, with each unit.
        first = db.session.scalar(
            select(Trust.id).where(Trust.region_id == region.id).order_by(Trust.id)
        )
        db.session.execute(
            insert(MonthlyCounts),
            [
                {
                    "trust_id": trust_id,
                    "month": date(2010 + unit, month, 1),
                    "deliveries": 300 + month,
                    "caesareans_elective": 30,
                    "caesareans_emergency": 40 + month,
                    "normal_births": 120,
                    "previous_caesarean": 40,
                    "vbac": 12,
                }
                for trust_id in {first, *trust_ids}
                for month in range(1, 13)
            ],
        )
        db.session.execute(
            insert(MeasureChange).values(
                trust_id=first, month=date(2010 + unit, 6, 1), note=f"Change {unit}"
            )
        )
        # A year of Robson counts likewise (groups 2 and 4 whole); the first trust publishes
        # its figures, so its public page shows its charts and Robson table.
        if unit == 0:
            db.session.execute(insert(MeasureSettings).values(trust_id=first, published=True))
        for trust_id in {first, *trust_ids}:
            for month in range(1, 13):
                month_id = db.session.scalar(
                    insert(RobsonMonth)
                    .values(trust_id=trust_id, month=date(2010 + unit, month, 1), unclassified=1)
                    .returning(RobsonMonth.id)
                )
                db.session.execute(
                    insert(RobsonCount),
                    [
                        {
                            "robson_month_id": month_id,
                            "group": code,
                            "position": POSITION[code],
                            "women": 40 + month,
                            "caesareans": 10 + month % 5,
                        }
                        for code in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
                    ],
                )
        # The participating trust's completed self-assessment, shared with the network, and the
        # upcoming event's focus on its first priority: the regional and programme pages count
        # every shared round.
        version = current_version()
        assert version is not None
        characteristics = db.session.scalars(
            select(Characteristic)
            .where(Characteristic.version_id == version.id)
            .order_by(Characteristic.place)
        ).all()
        round_id = db.session.scalar(
            insert(AssessmentRound)
            .values(
                trust_id=trust_ids[0],
                version_id=version.id,
                held_on=today - timedelta(days=30 + unit),
                participants="midwife,obstetrician",
                pathways=",".join(sorted({c.pathway.value for c in characteristics})),
                completed_at=now,
                shared_at=now,
            )
            .returning(AssessmentRound.id)
        )
        db.session.execute(
            insert(RoundAnswer),
            [
                {
                    "round_id": round_id,
                    "characteristic_id": c.id,
                    "current_position": 1 + (unit + place) % 3,
                    "aspired_position": 4,
                    "evidence": "",
                    "priority": place == 0,
                }
                for place, c in enumerate(characteristics)
            ],
        )
        db.session.execute(
            insert(EventFocus).values(
                event_id=event_ids[0],
                pathway=characteristics[0].pathway,
                characteristic_code=characteristics[0].code,
            )
        )
        db.session.execute(
            insert(AuditEntry),
            [
                {"action": "event.edited", "object_type": "event", "object_id": str(event_ids[0])}
                for _ in range(3)
            ],
        )
        db.session.execute(
            insert(OutboxMessage).values(
                kind="story_published",
                to_address=f"budget{unit}.{index}@example.org",
                subject="Subject",
                text_body="Text",
                status=MailStatus.FAILED,
                attempts=8,
                last_error="refused",
            )
        )
    db.session.commit()


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.count += 1


@pytest.fixture
def counter(app: Flask) -> Iterator[StatementCounter]:
    counting = StatementCounter()
    event.listen(db.engine, "before_cursor_execute", counting)
    app.config["PAGE_CACHE_SIZE"] = 0  # count the page's own work, every time
    try:
        yield counting
    finally:
        app.config["PAGE_CACHE_SIZE"] = 256
        event.remove(db.engine, "before_cursor_execute", counting)


def statements(client: PortalClient, counter: StatementCounter, path: str) -> int:
    from portal.feeds.routes import built_feeds

    # Count each page's whole work, not what a cache kept from the request before.
    built_feeds.clear()
    app = client.application
    page_cache(app).clear()
    app.extensions["kept_values"].clear()
    app.extensions.pop("feed_freshness", None)
    counter.count = 0
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return counter.count


def test_no_page_runs_more_statements_with_ten_times_the_data(
    app: Flask, counter: StatementCounter
) -> None:
    if current_version() is None:
        load_framework()  # the characteristics stories cite (VB1, VB2, FP1)
    add_unit(0)
    region = db.session.scalars(select(Region).order_by(Region.sort_order)).first()
    trust = db.session.scalars(
        select(Trust).where(Trust.region_id == region.id).order_by(Trust.id)
    ).first()
    upcoming = db.session.scalars(
        select(NetworkEvent)
        .where(NetworkEvent.region_id == region.id, NetworkEvent.event_date >= today_in_london())
        .order_by(NetworkEvent.id)
    ).first()
    story = db.session.scalars(
        select(Story)
        .where(Story.trust_id == trust.id, Story.state == StoryState.PUBLISHED)
        .order_by(Story.id)
    ).first()
    draft = Story(trust_id=trust.id, title="A draft in progress", state=StoryState.DRAFT)
    db.session.add(draft)
    db.session.flush()
    values = {
        "region": region.slug,
        "trust": trust.ods_code,
        "event": upcoming.id,
        "story": story.id,
        "draft": draft.id,
    }
    clients: dict[str, PortalClient] = {"anonymous": app.test_client()}
    people = {
        "trust": make_user("trust", "budget.trust@example.org", trust=trust),
        "coordinator": make_user(
            "coordinator", "budget.coord@example.org", region_slug=region.slug
        ),
        "admin": make_user("admin", "budget.admin@example.org"),
    }
    for role, person in people.items():
        clients[role] = app.test_client()
        clients[role].sign_in(person)

    def count_all() -> dict[str, int]:
        return {
            f"{who} {path.format(**values)}": statements(
                clients[who], counter, path.format(**values)
            )
            for who, path in PAGES
        }

    for who, path in PAGES:  # warm up: first requests load what every later one reuses
        statements(clients[who], counter, path.format(**values))
    small = count_all()
    for unit in range(1, 10):
        add_unit(unit)
    large = count_all()
    shared = clients["coordinator"].get(f"/regions/{region.slug}/self-assessment")
    assert "10 of 20 trusts in the region have shared" in " ".join(shared.text.split())
    grown = {page: (small[page], large[page]) for page in small if large[page] != small[page]}
    assert grown == {}, "pages whose statement count grew with the data (small, large)"
