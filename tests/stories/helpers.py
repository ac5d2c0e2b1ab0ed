"""Small helpers for story tests: stories in any state, and the form as a browser posts it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.regions.models import Trust
from portal.stories.models import Measure, Pathway, Story, StoryMeasure, StoryPathway, StoryState
from portal.stories.service import StoryValues, create_draft, publish, submit


def values(**overrides: Any) -> StoryValues:
    given: dict[str, Any] = {
        "title": "A VBAC clinic run by midwives",
        "summary": "A weekly clinic for women who had a caesarean before.",
        "body": "## What we changed\n\nWe started a **weekly clinic**.",
        "pathways": [Pathway.VBAC],
    }
    given.update(overrides)
    return StoryValues(**given)


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


def form_data(**overrides: Any) -> dict[str, Any]:
    """The story form's fields as a browser posts them (every field present, most empty)."""
    data: dict[str, Any] = {
        "title": "Staying at home in early labour",
        "summary": "Clear advice and a phone call keep women at home longer.",
        "body": "## What we changed\n\nA triage phone line.",
        "pathways": ["first-pregnancy"],
        "event": "",
        "chart_measure": "",
    }
    for measure in Measure:
        prefix = "measure_" + measure.value.replace("-", "_")
        for part in ("baseline_value", "baseline_period", "latest_value", "latest_period"):
            data[f"{prefix}-{part}"] = ""
    data.update(overrides)
    return data
