"""The rules for improvement stories: who may write, review and read them, and their life cycle.

    draft ──submit──▶ submitted ──publish──▶ published ──withdraw──▶ withdrawn
                        │    ▲                                          │
                     return  └──────────────resubmit────────────────────┤
                        ▼                                               │
                     returned ──────────────resubmit────────────────────┘

Drafts, returned and withdrawn stories can be edited by staff of the story's trust; the
coordinator of the trust's region (or the programme team) publishes or returns submitted ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import lazyload, raiseload

from portal.assessments.models import Characteristic, ToolkitVersion
from portal.assessments.service import PATHWAY_ORDER, current_version
from portal.audit.service import record
from portal.auth.permissions import is_staff_of, manages_region, signed_in
from portal.database import count_rows, page_bounds, paginate, write_transaction
from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, utcnow
from portal.regions.models import Region, Trust
from portal.regions.service import trusts_named
from portal.stories.messages import story_published, story_returned
from portal.stories.models import (
    Measure,
    Pathway,
    Story,
    StoryCharacteristic,
    StoryMeasure,
    StoryPathway,
    StoryState,
)
from portal.stories.search import matches, search_terms
from portal.web.dates import today_in_london

if TYPE_CHECKING:
    from portal.auth.models import User

PAGE_SIZE = 10


class StoryError(ValueError):
    """A change the rules do not allow; the message is for the person."""


@dataclass(frozen=True)
class MeasureValues:
    measure: Measure
    baseline_value: float
    baseline_period: str
    latest_value: float
    latest_period: str


@dataclass
class StoryValues:
    """What a writer can change. Drafts may leave any of it empty."""

    title: str = ""
    summary: str = ""
    body: str = ""
    pathways: list[Pathway] = field(default_factory=list)
    event_id: int | None = None
    measures: list[MeasureValues] = field(default_factory=list)
    chart_measure: Measure | None = None
    #: The toolkit characteristics the story improved, as (pathway, code); None leaves them as
    #: they are (the form did not offer them: no framework is loaded).
    characteristics: list[tuple[Pathway, str]] | None = None


# --- Permissions ------------------------------------------------------------------------------


def can_write_for(user: object, trust: Trust) -> bool:
    """Staff of the trust write its stories; nobody else does."""
    return is_staff_of(user, trust.id)


def can_review(user: object, story: Story) -> bool:
    """The coordinator of the trust's region, or the programme team."""
    if not signed_in(user):
        return False
    return manages_region(user, story.trust.region_id)


def is_reviewer(user: object) -> bool:
    return signed_in(user) and (user.is_admin or user.is_coordinator)


def can_see(user: object, story: Story) -> bool:
    """Published stories for everyone; drafts only for their trust; the rest also for reviewers."""
    if story.is_published or can_write_for(user, story.trust):
        return True
    return story.state is not StoryState.DRAFT and can_review(user, story)


def story_for_viewer(user: object, story_id: int) -> Story | None:
    story = db.session.get(Story, story_id)
    return story if story is not None and can_see(user, story) else None


def story_for_writer(user: object, story_id: int) -> Story | None:
    story = db.session.get(Story, story_id)
    return story if story is not None and can_write_for(user, story.trust) else None


def story_for_reviewer(user: object, story_id: int) -> Story | None:
    story = db.session.get(Story, story_id)
    if story is None or story.state is StoryState.DRAFT or not can_review(user, story):
        return None
    return story


# --- Checks -----------------------------------------------------------------------------------


def problems_before_submitting(story: Story) -> dict[str, str]:
    """What a story still needs before it can be reviewed, by form field name."""
    problems: dict[str, str] = {}
    if not story.title.strip():
        problems["title"] = "Enter a title"
    if not story.summary.strip():
        problems["summary"] = "Enter a summary"
    if not story.body.strip():
        problems["body"] = "Write the story"
    if not story.pathway_links:
        problems["pathways"] = "Select at least one pathway"
    return problems


def event_choices(trust: Trust, keep: int | None = None) -> list[NetworkEvent]:
    """Events a trust's story may say it was presented at: those that have taken place, of its
    region or open to every region, the latest first. `keep` is the event the story already
    names, offered whatever it is now (cancelled since, say), so that saving loses nothing."""
    held = and_(
        NetworkEvent.state == EventState.PUBLISHED,
        NetworkEvent.event_date <= today_in_london(),
        or_(
            NetworkEvent.region_id == trust.region_id,
            NetworkEvent.open_to_all_regions.is_(True),
        ),
    )
    return list(
        db.session.scalars(
            select(NetworkEvent)
            .where(or_(held, NetworkEvent.id == keep) if keep is not None else held)
            .order_by(NetworkEvent.event_date.desc(), NetworkEvent.id.desc())
        )
    )


# --- The toolkit characteristics a story improved -------------------------------------------------


@dataclass(frozen=True)
class CharacteristicChoice:
    """A characteristic a story may cite: by pathway and code, with its wording in the current
    version (None for one the story cites that a later version left out)."""

    pathway: Pathway
    code: str
    wording: str | None

    @property
    def key(self) -> str:
        """How a form sends it: `pathway:code` (codes hold no colon)."""
        return f"{self.pathway.value}:{self.code}"


@dataclass(frozen=True)
class ToolkitChoices:
    """The characteristics a story may cite, in the toolkit's order; `is_demo` marks the demo's
    invented placeholder framework."""

    is_demo: bool
    characteristics: list[CharacteristicChoice]


def characteristic_choices(story: Story | None = None) -> ToolkitChoices | None:
    """The current framework's characteristics, by pathway in the toolkit's order and within one
    in the file's, then those `story` cites that the current version left out (offered as they
    are, so that saving loses nothing). None before any framework is loaded."""
    version = current_version()
    if version is None:
        return None
    rows = db.session.execute(
        select(Characteristic.pathway, Characteristic.code, Characteristic.wording)
        .where(Characteristic.version_id == version.id)
        .order_by(Characteristic.place)
    ).all()
    offered = sorted(
        (CharacteristicChoice(Pathway(p), code, wording) for p, code, wording in rows),
        key=lambda c: PATHWAY_ORDER[c.pathway],
    )
    known = {(c.pathway, c.code) for c in offered}
    dropped = [
        CharacteristicChoice(link.pathway, link.characteristic_code, None)
        for link in (story.characteristic_links if story is not None else [])
        if (link.pathway, link.characteristic_code) not in known
    ]
    return ToolkitChoices(version.is_demo, offered + dropped)


@dataclass(frozen=True)
class CitedCharacteristics:
    """The characteristics a story cites, as one reader may see them: `wording` is None for a
    reader who is not signed in (the toolkit's text is for the NHS and its networks) and for a
    code the current version no longer holds. `placeholder`: the wording is the demo's."""

    items: list[CharacteristicChoice]
    signed_in: bool = False  # the reader's
    placeholder: bool = False

    @property
    def with_wording(self) -> bool:
        return any(c.wording is not None for c in self.items)


def cited_characteristics(story: Story, reader: object) -> CitedCharacteristics:
    """A story's characteristics with their current wording for signed-in readers, in one query
    (and none for anyone else)."""
    links = sorted(
        story.characteristic_links,
        key=lambda link: (PATHWAY_ORDER[link.pathway], link.characteristic_code),
    )
    if not links or not signed_in(reader):
        return CitedCharacteristics(
            [CharacteristicChoice(link.pathway, link.characteristic_code, None) for link in links],
            signed_in=signed_in(reader),
        )
    latest = (
        select(ToolkitVersion.id).order_by(ToolkitVersion.number.desc()).limit(1).scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Characteristic.pathway,
            Characteristic.code,
            Characteristic.wording,
            ToolkitVersion.is_demo,
        )
        .join(Characteristic.version)
        .where(
            Characteristic.version_id == latest,
            Characteristic.code.in_({link.characteristic_code for link in links}),
        )
    ).all()
    wording = {(Pathway(p), code): text for p, code, text, _ in rows}
    return CitedCharacteristics(
        [
            CharacteristicChoice(
                link.pathway,
                link.characteristic_code,
                wording.get((link.pathway, link.characteristic_code)),
            )
            for link in links
        ],
        signed_in=True,
        placeholder=any(is_demo for *_, is_demo in rows),
    )


# --- Changes ----------------------------------------------------------------------------------


def _locked(story: Story) -> Story:
    """The story re-read inside the write transaction, its row locked on PostgreSQL (SQLite
    already holds the database's write lock), so that its state is decided on fresh data."""
    query = select(Story).where(Story.id == story.id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Story)
    return db.session.scalars(query).one()


def _audit(action: str, story: Story, actor: User, before: StoryState | None, **after: Any) -> None:
    record(
        action,
        "story",
        story.id,
        actor=actor,
        before={"state": before.value} if before is not None else None,
        after={"state": story.state.value, **after},
    )


def _apply(story: Story, values: StoryValues) -> None:
    story.title = values.title
    story.summary = values.summary
    story.body = values.body
    story.event_id = values.event_id
    story.chart_measure = values.chart_measure
    wanted = list(dict.fromkeys(values.pathways))  # each once: a form may send one twice
    story.pathway_links = [link for link in story.pathway_links if link.pathway in wanted]
    have = {link.pathway for link in story.pathway_links}
    story.pathway_links.extend(StoryPathway(pathway=p) for p in wanted if p not in have)
    if values.characteristics is not None:
        cited = list(dict.fromkeys(values.characteristics))
        story.characteristic_links = [
            link
            for link in story.characteristic_links
            if (link.pathway, link.characteristic_code) in cited
        ]
        have_cited = {
            (link.pathway, link.characteristic_code) for link in story.characteristic_links
        }
        story.characteristic_links.extend(
            StoryCharacteristic(pathway=pathway, characteristic_code=code)
            for pathway, code in cited
            if (pathway, code) not in have_cited
        )
    by_measure = {m.measure: m for m in story.measures}
    kept = []
    for given in values.measures:
        row = by_measure.get(given.measure) or StoryMeasure(measure=given.measure)
        row.baseline_value = given.baseline_value
        row.baseline_period = given.baseline_period
        row.latest_value = given.latest_value
        row.latest_period = given.latest_period
        kept.append(row)
    story.measures = kept
    story.updated_at = utcnow()


def create_draft(trust: Trust, values: StoryValues, *, actor: User) -> Story:
    if not can_write_for(actor, trust):
        raise StoryError("Only staff of this trust can write its stories.")
    with write_transaction():
        story = Story(trust=trust, author_id=actor.id, state=StoryState.DRAFT)
        _apply(story, values)
        db.session.add(story)
        db.session.flush()
        _audit("story.created", story, actor, None)
        db.session.commit()
    return story


def save_draft(story: Story, values: StoryValues, *, actor: User) -> Story:
    """Save a writer's changes (also called as they type). Refused once the story is submitted."""
    with write_transaction():
        story = _locked(story)
        if not story.is_editable:
            raise StoryError(
                f"This story is {story.state.label.lower()}, so it cannot be changed now."
            )
        _apply(story, values)
        db.session.commit()
    return story


def submit(story: Story, *, actor: User) -> Story:
    """Send a draft, returned or withdrawn story for review; the author has declared it holds no
    patient-identifiable information."""
    with write_transaction():
        story = _locked(story)
        if not story.is_editable:
            raise StoryError(f"This story is {story.state.label.lower()} already.")
        problems = problems_before_submitting(story)
        if problems:
            raise StoryError(" ".join(f"{message}." for message in problems.values()))
        before = story.state
        story.state = StoryState.SUBMITTED
        story.author_declared_no_pii = True
        story.reviewer_confirmed_no_pii = False
        story.submitted_at = utcnow()
        story.updated_at = story.submitted_at
        _audit("story.submitted", story, actor, before)
        db.session.commit()
    return story


def publish(story: Story, *, actor: User) -> Story:
    """Publish a submitted story; the reviewer has confirmed it holds no identifiable information."""
    with write_transaction():
        story = _locked(story)
        if story.state is not StoryState.SUBMITTED:
            raise StoryError(_not_waiting(story))
        # Read before changing anything: loading them must not flush half a change.
        reviewer_id, now = actor.id, utcnow()
        story.published_at = story.reviewed_at = story.updated_at = now
        story.reviewed_by_id = reviewer_id
        story.reviewer_confirmed_no_pii = True
        story.review_comment = ""
        story.state = StoryState.PUBLISHED
        _audit("story.published", story, actor, StoryState.SUBMITTED)
        story_published(story)
        db.session.commit()
    return story


def return_for_changes(story: Story, comment: str, *, actor: User) -> Story:
    comment = comment.strip()
    if not comment:
        raise StoryError("Say what the trust should change")
    with write_transaction():
        story = _locked(story)
        if story.state is not StoryState.SUBMITTED:
            raise StoryError(_not_waiting(story))
        reviewer_id = actor.id
        story.state = StoryState.RETURNED
        story.review_comment = comment
        story.reviewed_by_id = reviewer_id
        story.reviewed_at = story.updated_at = utcnow()
        _audit("story.returned", story, actor, StoryState.SUBMITTED, comment=comment)
        story_returned(story)
        db.session.commit()
    return story


def withdraw(story: Story, *, actor: User) -> Story:
    """Take a published story off the portal; its trust may change it and submit it again."""
    with write_transaction():
        story = _locked(story)
        if story.state is not StoryState.PUBLISHED:
            raise StoryError("Only a published story can be withdrawn.")
        story.state = StoryState.WITHDRAWN
        story.withdrawn_at = story.updated_at = utcnow()
        _audit("story.withdrawn", story, actor, StoryState.PUBLISHED)
        db.session.commit()
    return story


def delete_draft(story: Story, *, actor: User) -> None:
    with write_transaction():
        story = _locked(story)
        if story.state is not StoryState.DRAFT:
            raise StoryError("Only a draft that was never submitted can be deleted.")
        _audit("story.deleted", story, actor, StoryState.DRAFT)
        db.session.delete(story)
        db.session.commit()


def _not_waiting(story: Story) -> str:
    return f"This story is not waiting for review: it is {story.state.label.lower()}."


# --- Reading ----------------------------------------------------------------------------------


@dataclass
class StoryPage:
    stories: list[Story]
    page: int
    pages: int
    total: int
    terms: list[str]


@dataclass(frozen=True)
class StoryFilters:
    query: str = ""
    region: Region | None = None
    #: Words of a trust's name, or its ODS code.
    trust: str = ""
    pathway: Pathway | None = None
    measure: Measure | None = None

    @property
    def any(self) -> bool:
        return bool(
            search_terms(self.query) or self.region or self.trust or self.pathway or self.measure
        )


def _published() -> Select[Story]:
    return select(Story).where(Story.state == StoryState.PUBLISHED)


def published_stories(filters: StoryFilters, page: int = 1) -> StoryPage:
    """Published stories matching the filters: title matches first, then newest first."""
    query = _published()
    terms = search_terms(filters.query)
    if filters.region is not None:
        query = query.join(Story.trust).where(Trust.region_id == filters.region.id)
    if filters.trust:
        query = query.where(Story.trust_id.in_(trusts_named(filters.trust)))
    if filters.pathway is not None:
        query = query.where(
            exists().where(
                StoryPathway.story_id == Story.id, StoryPathway.pathway == filters.pathway
            )
        )
    if filters.measure is not None:
        query = query.where(
            exists().where(
                StoryMeasure.story_id == Story.id, StoryMeasure.measure == filters.measure
            )
        )
    newest_first = (Story.published_at.desc(), Story.id.desc())
    if not terms:
        found = paginate(query.order_by(*newest_first), page, PAGE_SIZE)
        return StoryPage(found.items, found.number, found.pages, found.total, terms)
    # Stories with a searched word in their title come first. Read as two lists, each newest
    # first (not one list sorted on "is it a title match"), the page is read straight from the
    # index however many stories match; both lists are always asked, so the number of
    # statements never depends on the data.
    total = count_rows(query.where(matches(terms)))
    in_titles = query.where(matches(terms, in_title=True))
    title_total = count_rows(in_titles)
    number, pages = page_bounds(total, page, PAGE_SIZE)
    skip = (number - 1) * PAGE_SIZE
    from_titles = max(min(PAGE_SIZE, title_total - skip), 0)
    ids = list(
        db.session.scalars(
            in_titles.with_only_columns(Story.id)
            .order_by(*newest_first)
            .limit(from_titles)
            .offset(min(skip, title_total))
        )
    )
    ids += db.session.scalars(
        query.where(matches(terms, in_title=False))
        .with_only_columns(Story.id)
        .order_by(*newest_first)
        .limit(PAGE_SIZE - from_titles)
        .offset(max(skip - title_total, 0))
    )
    loaded = {s.id: s for s in db.session.scalars(select(Story).where(Story.id.in_(ids)))}
    stories = [loaded[story_id] for story_id in ids]
    return StoryPage(stories, number, pages, total, terms)


def latest_stories(
    limit: int, *, trust: Trust | None = None, event: NetworkEvent | None = None
) -> list[Story]:
    query = _published()
    if trust is not None:
        query = query.where(Story.trust_id == trust.id)
    if event is not None:
        query = query.where(Story.event_id == event.id)
    return list(
        db.session.scalars(query.order_by(Story.published_at.desc(), Story.id.desc()).limit(limit))
    )


def trust_stories(trust: Trust) -> list[Story]:
    """Every story of a trust, for its staff: the ones they can act on first."""
    order = {StoryState.RETURNED: 0, StoryState.DRAFT: 1, StoryState.SUBMITTED: 2}
    stories = db.session.scalars(
        select(Story).where(Story.trust_id == trust.id).order_by(Story.updated_at.desc())
    )
    return sorted(stories, key=lambda s: order.get(s.state, 3))


def stories_in_progress(trust: Trust) -> list[Story]:
    """The trust's stories its staff still have something to do with (returned, draft, then
    submitted; the latest change first), with their titles and states only: no tags or measures."""
    order = {StoryState.RETURNED: 0, StoryState.DRAFT: 1, StoryState.SUBMITTED: 2}
    stories = db.session.scalars(
        select(Story)
        .where(Story.trust_id == trust.id, Story.state.in_(list(order)))
        .options(
            lazyload(Story.trust),  # the one given, already in the session
            raiseload(Story.pathway_links),
            raiseload(Story.characteristic_links),
            raiseload(Story.measures),
        )
        .order_by(Story.updated_at.desc())
    )
    return sorted(stories, key=lambda s: order[s.state])


def review_queue(user: User) -> list[Story]:
    """Submitted stories this reviewer may decide on, oldest first."""
    query = select(Story).where(Story.state == StoryState.SUBMITTED)
    if not user.is_admin:
        query = query.join(Story.trust).where(Trust.region_id == user.region_id)
    return list(db.session.scalars(query.order_by(Story.submitted_at, Story.id)))


def recently_reviewed(user: User, limit: int = 10) -> list[Story]:
    query = select(Story).where(Story.reviewed_at.is_not(None))
    if not user.is_admin:
        # Asked of each story as the newest are read (not joined), so that the database walks
        # ix_stories_reviewed_at_id backwards and stops at the tenth, however many were reviewed.
        region_of_trust = (
            select(Trust.region_id).where(Trust.id == Story.trust_id).scalar_subquery()
        )
        query = query.where(region_of_trust == user.region_id)
    return list(
        db.session.scalars(query.order_by(Story.reviewed_at.desc(), Story.id.desc()).limit(limit))
    )


def events_of(stories: list[Story]) -> dict[int, NetworkEvent]:
    """The events that these stories link to, in one query."""
    ids = {s.event_id for s in stories if s.event_id is not None}
    if not ids:
        return {}
    return {
        e.id: e for e in db.session.scalars(select(NetworkEvent).where(NetworkEvent.id.in_(ids)))
    }


def story_counts_by_region() -> dict[int, dict[StoryState, int]]:
    """How many stories each region's trusts have in each state, in one query."""
    rows = db.session.execute(
        select(Trust.region_id, Story.state, func.count())
        .join(Story.trust)
        .group_by(Trust.region_id, Story.state)
    )
    counts: dict[int, dict[StoryState, int]] = {}
    for region_id, state, count in rows:
        counts.setdefault(region_id, dict.fromkeys(StoryState, 0))[StoryState(state)] = count
    return counts
