"""A large, deterministic dataset for the benchmark, written with bulk inserts.

At scale 1: 10 regions, 150 trusts (15 a region), 3 published events a region in each of 10
programme years (300 events, the last few years still to come), 20,000 confirmed registrations,
2,000 published stories with pathways (measures on every third one) and 20,000 audit entries.
At scale 10 there are ten times as many trusts, registrations, stories and audit entries; the
events stay (a region holds at most three a year), and so do the pages people load: the
pages measured show the same amount at either scale (an attendee list of 300 people and one of
68, a trust's bookings, a review queue of 20 stories, pages of 25 or 50 rows).

Three people sign in: one of each role, in the first region, with `PASSWORD`.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, insert, select, text, update

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.auth.service import create_user
from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, utcnow
from portal.regions.models import Region, Trust
from portal.regions.service import seed_regions
from portal.registrations.models import JobRole, Registration, RegistrationState
from portal.stories.models import Measure, Pathway, Story, StoryMeasure, StoryPathway, StoryState
from portal.web.dates import programme_year, today_in_london

TRUSTS_PER_REGION = 15
YEARS = 10
EVENTS_PER_YEAR = 3
REGISTRATIONS = 20_000
STORIES = 2_000
AUDIT_ENTRIES = 20_000
#: The measured attendee lists: the first event to come in the first region, and one before it.
BIG_LIST = 300
USUAL_LIST = 68
REVIEW_QUEUE = 20

PASSWORD = "bench-password-2026"
PEOPLE = {
    "admin": "admin@bench.example",
    "coordinator": "coordinator@bench.example",
    "trust": "trust@bench.example",
}

_VOCABULARY = (
    "birth labour midwife midwives caesarean section elective emergency vaginal normal vbac "
    "clinic continuity carer support women partners home early triage phone leaflet audit robson "
    "group induction weeks consultant ward night decisions review morning leadership philosophy "
    "pool water mobility upright positions epidural analgesia fetal monitoring intermittent "
    "auscultation guideline training simulation team culture data dashboard monthly rates fell "
    "rose stayed choice information antenatal class first pregnancy previous scar counselling "
    "obstetrician anaesthetist theatre delivery suite unit community hospital trust region "
    "network event learning change improvement outcome experience feedback survey family baby"
)
WORDS = _VOCABULARY.split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


@dataclass(frozen=True)
class Built:
    """What the dataset holds, and the pages worth measuring in it."""

    counts: dict[str, int]
    #: A name for each page (its role first) and its path.
    pages: dict[str, str]


def build(scale: int = 1) -> Built:
    """Fill an empty, migrated database, `scale` times the size of scale 1."""
    rng = random.Random(2008)
    seed_regions()
    regions = list(db.session.scalars(select(Region).order_by(Region.sort_order)))
    now = utcnow()

    trust_rows = []
    per_region = TRUSTS_PER_REGION * scale
    for r_index, region in enumerate(regions):
        for n in range(per_region):
            number = r_index * per_region + n + 1
            trust_rows.append(
                {
                    "name": f"Bench Hospital {number:05d} NHS Trust",
                    "ods_code": f"B{number:05d}",
                    "region_id": region.id,
                    "participating": n < 2,
                }
            )
    db.session.execute(insert(Trust), trust_rows)
    trusts_by_region: dict[int, list[int]] = {}
    for trust_id, region_id in db.session.execute(
        select(Trust.id, Trust.region_id).order_by(Trust.id)
    ):
        trusts_by_region.setdefault(region_id, []).append(trust_id)
    first_region = regions[0]
    own_trust = trusts_by_region[first_region.id][0]

    today = today_in_london()
    first_year = programme_year(today) - (YEARS - 4)
    event_rows = []
    for region in regions:
        for year in range(first_year, first_year + YEARS):
            for slot in range(1, EVENTS_PER_YEAR + 1):
                day = date(year, 4, 1) + timedelta(days=90 * slot)
                event_rows.append(
                    {
                        "uid": f"{secrets.token_hex(16)}@cs-network-portal",
                        "region_id": region.id,
                        "title": f"{region.short_name} network day {year}/{slot}: {_text(rng, 4)}",
                        "summary": _text(rng, 20),
                        "description": _text(rng, 80),
                        "event_date": day,
                        "start_time": time(9, 30),
                        "end_time": time(16, 0),
                        "venue_name": "Conference Centre",
                        "venue_address": "1 Example Street\nExampletown",
                        "venue_postcode": "LS1 4AP",
                        "online_url": "",
                        "capacity": 100 * scale,
                        "trust_cap": None,
                        "registration_deadline": day - timedelta(days=1),
                        "open_to_all_regions": False,
                        "state": EventState.PUBLISHED,
                        "programme_year": year,
                        "slot": slot,
                        "sequence": 0,
                        "cancelled_reason": "",
                        "published_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    db.session.execute(insert(NetworkEvent), event_rows)
    events = list(
        db.session.execute(
            select(NetworkEvent.id, NetworkEvent.region_id, NetworkEvent.event_date).order_by(
                NetworkEvent.event_date, NetworkEvent.id
            )
        )
    )
    own_events = [e for e in events if e.region_id == first_region.id]
    big_event = next(e for e in own_events if e.event_date > today + timedelta(days=1))
    usual_event = own_events[own_events.index(big_event) - 1]
    fixed = {big_event.id: BIG_LIST, usual_event.id: USUAL_LIST}
    spread = [e for e in events if e.id not in fixed]
    db.session.execute(
        update(NetworkEvent).where(NetworkEvent.id == big_event.id).values(capacity=BIG_LIST + 100)
    )

    registration_rows = []
    roles = list(JobRole)

    def registration(n: int, event_id: int, trust_id: int) -> dict[str, object]:
        return {
            "event_id": event_id,
            "trust_id": trust_id,
            "attendee_name": f"Attendee {n}",
            "attendee_email": f"attendee{n}@example.org",
            "job_role": roles[n % len(roles)],
            "state": RegistrationState.CONFIRMED,
            "booked_at": now,
            "confirmed_at": now,
            "updated_at": now,
        }

    n = 0
    for event_id, size in fixed.items():
        # The trust that signs in has a few people at each; the rest come from its neighbours.
        neighbours = trusts_by_region[first_region.id][:TRUSTS_PER_REGION]
        for k in range(size):
            registration_rows.append(registration(n, event_id, neighbours[k % len(neighbours)]))
            n += 1
    while n < REGISTRATIONS * scale:
        event = spread[n % len(spread)]
        trusts = trusts_by_region[event.region_id]
        registration_rows.append(
            registration(n, event.id, trusts[(n // len(spread)) % len(trusts)])
        )
        n += 1
    for start in range(0, len(registration_rows), 5000):
        db.session.execute(insert(Registration), registration_rows[start : start + 5000])

    people = {
        "admin": create_user(PEOPLE["admin"], "admin", name="Ada Admin", password=PASSWORD),
        "coordinator": create_user(
            PEOPLE["coordinator"],
            "coordinator",
            name="Cora Coordinator",
            password=PASSWORD,
            region=first_region,
        ),
        "trust": create_user(
            PEOPLE["trust"],
            "trust",
            name="Tom Trust",
            password=PASSWORD,
            trust=db.session.get(Trust, own_trust),
        ),
    }

    all_trusts = [t for ids in trusts_by_region.values() for t in ids]
    pathways = list(Pathway)
    measures = list(Measure)
    story_rows, pathway_rows, measure_rows = [], [], []
    stories = STORIES * scale
    for n in range(stories + REVIEW_QUEUE + 1):
        story_id = n + 1
        published = now - timedelta(hours=n * 7 // scale)
        row: dict[str, object] = {
            "id": story_id,
            "trust_id": all_trusts[n % len(all_trusts)],
            "title": f"{_text(rng, 5).capitalize()} ({n})",
            "summary": _text(rng, 30),
            "body": "## What we changed\n\n"
            + _text(rng, 120)
            + "\n\n## What happened\n\n"
            + _text(rng, 120),
            "state": StoryState.PUBLISHED,
            "author_declared_no_pii": True,
            "reviewer_confirmed_no_pii": True,
            "review_comment": "",
            "submitted_at": published,
            "reviewed_at": published,
            "published_at": published,
            "created_at": published,
            "updated_at": published,
        }
        if n >= stories:  # waiting for the first region's coordinator, and one draft
            waiting = n < stories + REVIEW_QUEUE
            row.update(
                trust_id=own_trust if not waiting else trusts_by_region[first_region.id][n % 15],
                author_id=people["trust"].id,
                state=StoryState.SUBMITTED if waiting else StoryState.DRAFT,
                reviewer_confirmed_no_pii=False,
                reviewed_at=None,
                published_at=None,
                submitted_at=published if waiting else None,
            )
        story_rows.append(row)
        for pathway in {pathways[n % 5], pathways[(n * 7) % 5]}:
            pathway_rows.append({"story_id": story_id, "pathway": pathway})
        if n % 3 == 0:
            measure_rows.append(
                {
                    "story_id": story_id,
                    "measure": measures[n % 5],
                    "baseline_value": 20 + n % 10,
                    "baseline_period": "2007–08",
                    "latest_value": 18 + n % 9,
                    "latest_period": "2009–10",
                }
            )
    db.session.execute(insert(Story), story_rows)
    if db.session.get_bind().dialect.name == "postgresql":  # ids given above: move the sequence on
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('stories', 'id'), (SELECT max(id) FROM stories))"
            )
        )
    db.session.execute(insert(StoryPathway), pathway_rows)
    db.session.execute(insert(StoryMeasure), measure_rows)

    audit_rows = []
    actors = [people["admin"].id, people["coordinator"].id, people["trust"].id]
    for n in range(AUDIT_ENTRIES * scale):
        event_id = events[n % len(events)].id
        action, object_type, object_id, after = [
            ("registration.confirmed", "registration", n + 1, {"event_id": event_id}),
            ("registration.checked_in", "registration", n + 1, {"attended": True}),
            ("event.published", "event", event_id, {"state": "published"}),
            ("story.published", "story", n % stories + 1, {"state": "published"}),
        ][n % 4]
        audit_rows.append(
            {
                "at": now - timedelta(minutes=n * 5 // scale),
                "actor_id": actors[n % 3],
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "before": None,
                "after": after,
            }
        )
    for start in range(0, len(audit_rows), 5000):
        db.session.execute(insert(AuditEntry), audit_rows[start : start + 5000])
    db.session.commit()

    draft = stories + REVIEW_QUEUE + 1
    return Built(
        counts={
            "regions": len(regions),
            "trusts": len(trust_rows),
            "events": len(event_rows),
            "registrations": len(registration_rows),
            "stories": len(story_rows),
            "audit entries": len(audit_rows),
            "people": db.session.scalar(select(func.count()).select_from(User)) or 0,
        },
        pages={
            "trust: home": "/",
            "trust: account": "/account",
            "trust: events list": "/events",
            "trust: bookings": "/bookings",
            "trust: booking form": f"/events/{big_event.id}/book",
            "trust: story editor": f"/stories/{draft}/edit",
            "trust: region page": f"/regions/{first_region.slug}",
            "trust: story page": f"/stories/{stories}",
            "coordinator: home": "/",
            "coordinator: manage events": "/manage/events",
            f"coordinator: attendees ({USUAL_LIST})": f"/events/{usual_event.id}/attendees",
            f"coordinator: attendees ({BIG_LIST})": f"/events/{big_event.id}/attendees",
            "coordinator: review queue": "/stories/review",
            "admin: home": "/",
            "admin: people": "/admin/people",
            "admin: trusts": "/admin/trusts",
            "admin: audit log": "/admin/audit",
        },
    )
