"""A large, deterministic dataset for the benchmark, written with bulk inserts.

10 regions, 150 trusts (15 a region), 3 published events a region in each of 10 programme years
(300 events, the last few years still to come), 20,000 confirmed registrations spread over them,
and 2,000 published stories with pathways, and measures on every third one.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, time, timedelta

from sqlalchemy import insert, select, text

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


def build() -> dict[str, int]:
    """Fill an empty, migrated database. Returns how many of each thing it wrote."""
    rng = random.Random(2008)
    seed_regions()
    regions = list(db.session.scalars(select(Region).order_by(Region.sort_order)))
    now = utcnow()

    trust_rows = []
    for r_index, region in enumerate(regions):
        for n in range(TRUSTS_PER_REGION):
            number = r_index * TRUSTS_PER_REGION + n + 1
            trust_rows.append(
                {
                    "name": f"Bench Hospital {number:03d} NHS Trust",
                    "ods_code": f"B{number:03d}",
                    "region_id": region.id,
                    "participating": n < 2,
                }
            )
    db.session.execute(insert(Trust), trust_rows)
    trusts_by_region: dict[int, list[int]] = {}
    for trust_id, region_id in db.session.execute(select(Trust.id, Trust.region_id)):
        trusts_by_region.setdefault(region_id, []).append(trust_id)

    first_year = programme_year(today_in_london()) - (YEARS - 4)
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
                        "capacity": 100,
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
    events = list(db.session.execute(select(NetworkEvent.id, NetworkEvent.region_id)))

    registration_rows = []
    roles = list(JobRole)
    for n in range(REGISTRATIONS):
        event_id, region_id = events[n % len(events)]
        trusts = trusts_by_region[region_id]
        registration_rows.append(
            {
                "event_id": event_id,
                "trust_id": trusts[n % len(trusts)],
                "attendee_name": f"Attendee {n}",
                "attendee_email": f"attendee{n}@example.org",
                "job_role": roles[n % len(roles)],
                "state": RegistrationState.CONFIRMED,
                "booked_at": now,
                "confirmed_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(registration_rows), 5000):
        db.session.execute(insert(Registration), registration_rows[start : start + 5000])

    all_trusts = [t for ids in trusts_by_region.values() for t in ids]
    pathways = list(Pathway)
    measures = list(Measure)
    story_rows, pathway_rows, measure_rows = [], [], []
    for n in range(STORIES):
        story_id = n + 1
        published = now - timedelta(hours=n * 7)
        story_rows.append(
            {
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
        )
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
    db.session.commit()
    return {
        "regions": len(regions),
        "trusts": len(trust_rows),
        "events": len(event_rows),
        "registrations": len(registration_rows),
        "stories": len(story_rows),
    }
