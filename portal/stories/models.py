"""Improvement stories, the toolkit pathways they are tagged with, and the measures they quote."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.assessments.pathways import Pathway
from portal.auth.models import User
from portal.events.models import NetworkEvent
from portal.extensions import Model, UTCDateTime, string_enum, utcnow
from portal.measures.models import Measure
from portal.regions.models import Trust


class StoryState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            StoryState.DRAFT: "Draft",
            StoryState.SUBMITTED: "Waiting for review",
            StoryState.RETURNED: "Returned for changes",
            StoryState.PUBLISHED: "Published",
            StoryState.WITHDRAWN: "Withdrawn",
        }[self]


class Story(Model):
    __tablename__ = "stories"
    __table_args__ = (
        # Only a story whose author declared it free of patient-identifiable information leaves
        # its trust, and only one a reviewer confirmed the same of is public.
        CheckConstraint(
            "state IN ('draft', 'returned') OR author_declared_no_pii",
            name="declared_before_review",
        ),
        CheckConstraint(
            "state NOT IN ('published', 'withdrawn') OR "
            "(reviewer_confirmed_no_pii AND published_at IS NOT NULL)",
            name="confirmed_before_publishing",
        ),
        # Lists of published stories, newest first (all, a trust's, an event's), read these
        # indexes in order instead of sorting every story.
        Index("ix_stories_state_published_at", "state", "published_at"),
        Index("ix_stories_trust_state_published_at", "trust_id", "state", "published_at"),
        Index("ix_stories_event_state_published_at", "event_id", "state", "published_at"),
        # The review queue's "recently reviewed", newest first, stops after a few rows.
        Index("ix_stories_reviewed_at_id", "reviewed_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("network_events.id"))
    # Drafts may be incomplete (they are saved as people write); submitting checks every field.
    title: Mapped[str] = mapped_column(String(150), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    #: A measure of the trust's own monthly figures whose chart the story shows (optional).
    chart_measure: Mapped[Measure | None] = mapped_column(
        string_enum(Measure, "story_chart_measure", 20)
    )
    state: Mapped[StoryState] = mapped_column(
        string_enum(StoryState, "story_state", 20), default=StoryState.DRAFT, index=True
    )
    author_declared_no_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewer_confirmed_no_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Indexed: the newest change is part of the public pages' data version (portal/web/pagecache.py).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    trust: Mapped[Trust] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")
    event: Mapped[NetworkEvent | None] = relationship(lazy="raise_on_sql")
    pathway_links: Mapped[list[StoryPathway]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="StoryPathway.pathway"
    )
    characteristic_links: Mapped[list[StoryCharacteristic]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(StoryCharacteristic.pathway, StoryCharacteristic.characteristic_code)",
    )
    measures: Mapped[list[StoryMeasure]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="StoryMeasure.measure"
    )

    def __repr__(self) -> str:
        return f"<Story {self.id} {self.state}>"

    @property
    def pathways(self) -> list[Pathway]:
        order = list(Pathway)
        return sorted((link.pathway for link in self.pathway_links), key=order.index)

    @property
    def is_published(self) -> bool:
        return self.state is StoryState.PUBLISHED

    @property
    def is_editable(self) -> bool:
        """Drafts, returned and withdrawn stories can be changed and (re)submitted."""
        return self.state in (StoryState.DRAFT, StoryState.RETURNED, StoryState.WITHDRAWN)

    @property
    def display_title(self) -> str:
        return self.title or "Untitled story"

    def measure(self, measure: Measure) -> StoryMeasure | None:
        return next((m for m in self.measures if m.measure is measure), None)


class StoryPathway(Model):
    __tablename__ = "story_pathways"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    pathway: Mapped[Pathway] = mapped_column(string_enum(Pathway, "pathway", 20), primary_key=True)


class StoryCharacteristic(Model):
    """A characteristic of the toolkit that a story says it improved (by pathway and code, so
    that it holds across versions of the framework)."""

    __tablename__ = "story_characteristics"
    __table_args__ = (
        CheckConstraint(
            "pathway IN (" + ", ".join(f"'{p.value}'" for p in Pathway) + ")",
            name="pathway_known",
        ),
    )

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    pathway: Mapped[Pathway] = mapped_column(
        string_enum(Pathway, "story_characteristic_pathway", 20), primary_key=True
    )
    characteristic_code: Mapped[str] = mapped_column(String(20), primary_key=True)


class StoryMeasure(Model):
    """One measure quoted by a story: a baseline and a latest value, each for a stated period."""

    __tablename__ = "story_measures"
    __table_args__ = (
        UniqueConstraint("story_id", "measure", name="uq_story_measures_measure"),
        CheckConstraint(
            "baseline_value BETWEEN 0 AND 100 AND latest_value BETWEEN 0 AND 100",
            name="values_are_percentages",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    measure: Mapped[Measure] = mapped_column(string_enum(Measure, "story_measure", 20))
    # Percentages to one decimal place; floats in Python (SQLite has no decimal type).
    baseline_value: Mapped[float] = mapped_column(Numeric(4, 1, asdecimal=False))
    baseline_period: Mapped[str] = mapped_column(String(40))
    latest_value: Mapped[float] = mapped_column(Numeric(4, 1, asdecimal=False))
    latest_period: Mapped[str] = mapped_column(String(40))

    @property
    def change(self) -> float:
        """Latest minus baseline, in percentage points (to one decimal place)."""
        return round(self.latest_value - self.baseline_value, 1)
