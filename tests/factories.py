"""Every test's way of making rows: people, trusts, events and stories, made through the
services where a service makes them, so what a test starts from is what the portal would hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.auth.models import Role, User
from portal.auth.service import create_user, find_by_email
from portal.events.models import NetworkEvent
from portal.events.service import create_event, publish_event
from portal.extensions import db, utcnow
from portal.measures.models import Measure
from portal.regions.models import Region, Trust
from portal.regions.service import region_by_slug
from portal.stories.models import Pathway, Story, StoryMeasure, StoryPathway, StoryState
from portal.stories.service import create_draft, publish, submit
from tests.events.helpers import event_values
from tests.stories.helpers import values

PASSWORD = "correct horse battery staple"


# --- Regions and trusts --------------------------------------------------------------------------


def region(slug: str = "london") -> Region:
    found = region_by_slug(slug)
    assert found is not None
    return found


def make_trust(
    name: str = "Test Hospitals NHS Trust",
    ods_code: str = "RT1",
    slug: str = "london",
    participating: bool = True,
) -> Trust:
    trust = Trust(name=name, ods_code=ods_code, region=region(slug), participating=participating)
    db.session.add(trust)
    db.session.flush()
    return trust


# --- People --------------------------------------------------------------------------------------


def make_user(
    role: Role | str = Role.ADMIN,
    email: str | None = None,
    *,
    region_slug: str | None = None,
    trust: Trust | None = None,
    name: str = "Test Person",
    password: str = PASSWORD,
) -> User:
    role = Role(role)
    if role is Role.COORDINATOR and region_slug is None:
        region_slug = "london"
    if role is Role.TRUST and trust is None:
        trust = make_trust()
    user = create_user(
        email or f"{role.value}.{db.session.query(User).count() + 1}@example.org",
        role,
        name=name,
        password=password,
        region=region(region_slug) if region_slug else None,
        trust=trust,
    )
    db.session.commit()
    return user


def trust_staff(code: str = "RT1", slug: str = "london", email: str | None = None) -> User:
    """A new trust with the ODS code `code` in region `slug`, and one of its staff."""
    trust = make_trust(f"Trust {code} NHS Trust", code, slug)
    return make_user(
        "trust", email or f"staff.{code.lower()}@nhs.example", trust=trust, name=f"Booker {code}"
    )


# --- Events --------------------------------------------------------------------------------------


def make_event(
    actor: User, slug: str = "london", *, publish: bool = False, **overrides: Any
) -> NetworkEvent:
    event = create_event(region(slug), event_values(**overrides), actor=actor)
    if publish:
        publish_event(event, actor=actor)
    return event


def open_event(capacity: int = 3, trust_cap: int | None = None, **overrides: Any) -> NetworkEvent:
    """A published event, open for booking, planned by the region's coordinator."""
    slug = overrides.pop("slug", "london")
    email = f"coordinator.{slug}@nhs.example"
    coordinator = find_by_email(email) or make_user("coordinator", email, region_slug=slug)
    assert coordinator.region is not None
    return make_event(
        coordinator,
        coordinator.region.slug,
        publish=True,
        capacity=capacity,
        trust_cap=trust_cap,
        **overrides,
    )


# --- Stories -------------------------------------------------------------------------------------


def draft(author: User, **overrides: Any) -> Story:
    assert author.trust is not None
    return create_draft(author.trust, values(**overrides), actor=author)


def published(author: User, reviewer: User, **overrides: Any) -> Story:
    story = draft(author, **overrides)
    submit(story, actor=author)
    return publish(story, actor=reviewer)


def stored_story(
    trust: Trust,
    *,
    title: str,
    summary: str = "A summary.",
    body: str = "",
    state: StoryState = StoryState.PUBLISHED,
    published_at: datetime | None = None,
    pathways: tuple[Pathway, ...] = (Pathway.TOP_TEN,),
    measures: tuple[Measure, ...] = (),
) -> Story:
    """A story written straight to the database, with a chosen publication time (for lists)."""
    when = published_at or utcnow() - timedelta(days=1)
    story = Story(
        trust=trust,
        title=title,
        summary=summary,
        body=body,
        state=state,
        author_declared_no_pii=state is not StoryState.DRAFT,
        reviewer_confirmed_no_pii=state in (StoryState.PUBLISHED, StoryState.WITHDRAWN),
        published_at=when if state in (StoryState.PUBLISHED, StoryState.WITHDRAWN) else None,
        updated_at=when,
    )
    story.pathway_links = [StoryPathway(pathway=p) for p in pathways]
    story.measures = [
        StoryMeasure(
            measure=m,
            baseline_value=30,
            baseline_period="2007–08",
            latest_value=25,
            latest_period="2008–09",
        )
        for m in measures
    ]
    db.session.add(story)
    db.session.flush()
    return story
