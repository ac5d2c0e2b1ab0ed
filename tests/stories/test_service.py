"""The story life cycle, who may do what, and what each change records and sends."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.stories.models import Measure, Pathway, Story, StoryState
from portal.stories.service import (
    MeasureValues,
    StoryError,
    can_review,
    can_see,
    can_write_for,
    delete_draft,
    problems_before_submitting,
    publish,
    return_for_changes,
    save_draft,
    submit,
    withdraw,
)
from tests.factories import draft, make_trust, make_user
from tests.stories.helpers import values


@pytest.fixture
def people(app: Flask) -> dict:
    trust = make_trust("Riverside NHS Trust", "RS1", "north-east")
    other = make_trust("Hillside NHS Trust", "HS1", "north-east")
    return {
        "author": make_user("trust", "author@example.org", trust=trust, name="Ana Author"),
        "colleague": make_user("trust", "colleague@example.org", trust=trust),
        "other_trust": make_user("trust", "other@example.org", trust=other),
        "coordinator": make_user("coordinator", "ne@example.org", region_slug="north-east"),
        "other_coordinator": make_user("coordinator", "ldn@example.org", region_slug="london"),
        "admin": make_user("admin", "admin@example.org"),
    }


def actions(story: Story) -> list[tuple[str, dict | None, dict | None]]:
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "story", AuditEntry.object_id == str(story.id))
        .order_by(AuditEntry.id)
    )
    return [(e.action, e.before, e.after) for e in entries]


def test_the_whole_life_of_a_story(people: dict) -> None:
    author, coordinator = people["author"], people["coordinator"]
    story = draft(author)
    assert story.state is StoryState.DRAFT

    submit(story, actor=author)
    assert story.state is StoryState.SUBMITTED and story.author_declared_no_pii
    return_for_changes(story, "Please add your figures.", actor=coordinator)
    assert story.state is StoryState.RETURNED
    assert story.review_comment == "Please add your figures."

    save_draft(
        story,
        values(measures=[MeasureValues(Measure.VBAC, 22, "2007–08", 31.5, "2009")]),
        actor=people["colleague"],
    )
    submit(story, actor=author)
    publish(story, actor=coordinator)
    assert story.state is StoryState.PUBLISHED
    assert story.reviewer_confirmed_no_pii and story.published_at is not None
    assert story.review_comment == ""
    assert story.measure(Measure.VBAC).change == 9.5

    withdraw(story, actor=author)
    assert story.state is StoryState.WITHDRAWN
    save_draft(story, values(title="A VBAC clinic: corrected figures"), actor=author)
    submit(story, actor=author)
    assert story.state is StoryState.SUBMITTED and not story.reviewer_confirmed_no_pii

    assert actions(story) == [
        ("story.created", None, {"state": "draft"}),
        ("story.submitted", {"state": "draft"}, {"state": "submitted"}),
        (
            "story.returned",
            {"state": "submitted"},
            {"state": "returned", "comment": "Please add your figures."},
        ),
        ("story.submitted", {"state": "returned"}, {"state": "submitted"}),
        ("story.published", {"state": "submitted"}, {"state": "published"}),
        ("story.withdrawn", {"state": "published"}, {"state": "withdrawn"}),
        ("story.submitted", {"state": "withdrawn"}, {"state": "submitted"}),
    ]


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        (StoryState.DRAFT, {"save", "submit", "delete"}),
        (StoryState.SUBMITTED, {"publish", "return"}),
        (StoryState.RETURNED, {"save", "submit"}),
        (StoryState.PUBLISHED, {"withdraw"}),
        (StoryState.WITHDRAWN, {"save", "submit"}),
    ],
)
def test_each_state_allows_only_its_own_changes(
    people: dict, state: StoryState, allowed: set[str]
) -> None:
    author, coordinator = people["author"], people["coordinator"]
    attempts = {
        "save": lambda s: save_draft(s, values(title="Changed"), actor=author),
        "submit": lambda s: submit(s, actor=author),
        "publish": lambda s: publish(s, actor=coordinator),
        "return": lambda s: return_for_changes(s, "Change it", actor=coordinator),
        "withdraw": lambda s: withdraw(s, actor=author),
        "delete": lambda s: delete_draft(s, actor=author),
    }
    for name, attempt in attempts.items():
        story = _story_in(state, people)
        before = (story.state, story.title)
        if name in allowed:
            attempt(story)
        else:
            with pytest.raises(StoryError):
                attempt(story)
            db.session.expire_all()
            found = db.session.get(Story, story.id)
            assert (found.state, found.title) == before, name


def _story_in(state: StoryState, people: dict) -> Story:
    author, coordinator = people["author"], people["coordinator"]
    story = draft(author)
    if state is StoryState.DRAFT:
        return story
    submit(story, actor=author)
    if state is StoryState.RETURNED:
        return_for_changes(story, "Change it", actor=coordinator)
    elif state in (StoryState.PUBLISHED, StoryState.WITHDRAWN):
        publish(story, actor=coordinator)
        if state is StoryState.WITHDRAWN:
            withdraw(story, actor=author)
    return story


def test_an_incomplete_story_cannot_be_submitted(people: dict) -> None:
    author = people["author"]
    story = draft(author, title="", summary="", body="  ", pathways=[])
    assert problems_before_submitting(story) == {
        "title": "Enter a title",
        "summary": "Enter a summary",
        "body": "Write the story",
        "pathways": "Select at least one pathway",
    }
    with pytest.raises(StoryError, match="Enter a title"):
        submit(story, actor=author)
    db.session.expire_all()
    assert db.session.get(Story, story.id).state is StoryState.DRAFT


def test_returning_needs_a_comment(people: dict) -> None:
    story = draft(people["author"])
    submit(story, actor=people["author"])
    with pytest.raises(StoryError, match="what the trust should change"):
        return_for_changes(story, "   ", actor=people["coordinator"])
    assert story.state is StoryState.SUBMITTED


def test_the_author_is_told_of_each_decision_through_the_outbox(people: dict) -> None:
    author, coordinator = people["author"], people["coordinator"]
    story = draft(author)
    submit(story, actor=author)
    return_for_changes(story, "Say which months the figures cover.", actor=coordinator)
    submit(story, actor=author)
    publish(story, actor=coordinator)
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.related_type == "story", OutboxMessage.related_id == story.id)
            .order_by(OutboxMessage.id)
        )
    )
    assert [(m.kind, m.to_address) for m in messages] == [
        ("story_returned", "author@example.org"),
        ("story_published", "author@example.org"),
    ]
    returned, published = messages
    assert "Say which months the figures cover." in returned.text_body
    assert f"https://portal.example.org/stories/{story.id}/edit" in returned.text_body
    assert "Dear Ana Author" in returned.text_body
    assert f"https://portal.example.org/stories/{story.id}" in published.text_body
    assert published.subject == "Your improvement story is published: A VBAC clinic run by midwives"


def test_who_may_write_review_and_see(people: dict) -> None:
    story = draft(people["author"])
    trust = story.trust
    assert can_write_for(people["author"], trust) and can_write_for(people["colleague"], trust)
    for name in ("other_trust", "coordinator", "admin"):
        assert not can_write_for(people[name], trust), name
    assert can_review(people["coordinator"], story) and can_review(people["admin"], story)
    for name in ("author", "other_trust", "other_coordinator"):
        assert not can_review(people[name], story), name

    seen_by = {name for name, user in people.items() if can_see(user, story)}
    assert seen_by == {"author", "colleague"}  # a draft stays inside its trust
    submit(story, actor=people["author"])
    seen_by = {name for name, user in people.items() if can_see(user, story)}
    assert seen_by == {"author", "colleague", "coordinator", "admin"}
    publish(story, actor=people["coordinator"])
    assert all(can_see(user, story) for user in people.values())


def test_staff_of_another_trust_cannot_start_a_story_for_it(people: dict) -> None:
    from portal.stories.service import create_draft

    with pytest.raises(StoryError):
        create_draft(people["author"].trust, values(), actor=people["other_trust"])


def test_the_database_refuses_a_published_story_nobody_confirmed(people: dict) -> None:
    story = draft(people["author"])
    story.state = StoryState.PUBLISHED
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_pathways_and_measures_are_replaced_not_added(people: dict) -> None:
    author = people["author"]
    story = draft(
        author,
        pathways=[Pathway.VBAC, Pathway.TOP_TEN],
        measures=[MeasureValues(Measure.TOTAL_CS, 30, "2007", 27, "2009")],
    )
    save_draft(
        story,
        values(
            pathways=[Pathway.TOP_TEN, Pathway.ORGANISATIONAL],
            measures=[MeasureValues(Measure.VBAC, 20, "2007", 25, "2009")],
        ),
        actor=author,
    )
    db.session.expire_all()
    found = db.session.get(Story, story.id)
    assert found.pathways == [Pathway.ORGANISATIONAL, Pathway.TOP_TEN]
    assert [m.measure for m in found.measures] == [Measure.VBAC]
