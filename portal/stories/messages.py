"""E-mails to a story's author when a reviewer decides on it, written to the one outbox."""

from __future__ import annotations

from portal.auth.models import User
from portal.extensions import db
from portal.mail.service import paragraphs_as_html, queue_message
from portal.stories.models import Story
from portal.web.urls import absolute_url

SIGN_OFF = "The caesarean section network programme team"


def _to_author(story: Story, *, kind: str, subject: str, paragraphs: list[str]) -> None:
    author = db.session.get(User, story.author_id) if story.author_id is not None else None
    if author is None or not author.active:
        return  # nobody to tell: the trust's staff see the state on their stories page
    paragraphs = [f"Dear {author.display_name},", *paragraphs, SIGN_OFF]
    queue_message(
        to=author.email,
        subject=subject,
        text="\n\n".join(paragraphs) + "\n",
        html=paragraphs_as_html(paragraphs),
        kind=kind,
        related_type="story",
        related_id=story.id,
    )


def story_published(story: Story) -> None:
    _to_author(
        story,
        kind="story_published",
        subject=f"Your improvement story is published: {story.title}",
        paragraphs=[
            f"Your story “{story.title}” from {story.trust.name} has been reviewed and published. "
            "Everyone can now read it on the portal:",
            absolute_url("stories.story", story_id=story.id),
        ],
    )


def story_returned(story: Story) -> None:
    _to_author(
        story,
        kind="story_returned",
        subject=f"Changes needed to your improvement story: {story.title}",
        paragraphs=[
            f"Your story “{story.title}” from {story.trust.name} has been reviewed and returned "
            "to you with this comment:",
            story.review_comment,
            "Change the story, then submit it again:",
            absolute_url("stories.edit", story_id=story.id),
        ],
    )
