"""The story preview does bounded work: text over the story's length is refused with a message
where the preview would be (and is never parsed); text within it that would keep the Markdown
parser busy is shown as plain text, saying so."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from portal.extensions import db
from portal.stories.forms import BODY_MAX
from portal.stories.models import Story
from portal.web.markdown import PLAIN_TEXT_NOTE
from tests.client import PortalClient
from tests.factories import draft, make_trust, make_user
from tests.stories.helpers import form_data
from tests.web.helpers import HTMX_OR_NOT, field_error, parser_inputs

SAVED_BODY = "## What we changed\n\nWe started a **weekly clinic**."
TOO_LONG = ("Fewer admissions. " * (BODY_MAX // 18 + 1))[: BODY_MAX + 1]
LONG_MESSAGE = "Story must be 20,000 characters or fewer"


@pytest.fixture
def author(app: Flask) -> Any:
    return make_user("trust", "owner@example.org", trust=make_trust("Riverside NHS Trust", "RS1"))


def saved_body(story: Story) -> str:
    db.session.expire_all()
    found = db.session.get(Story, story.id)
    assert found is not None
    return found.body


@HTMX_OR_NOT
def test_a_preview_longer_than_a_story_is_refused_and_not_parsed(
    client: PortalClient, author: Any, htmx: bool
) -> None:
    assert len(TOO_LONG) == BODY_MAX + 1
    story = draft(author)
    client.sign_in(author)
    with parser_inputs() as parsed:
        response = client.post_form(f"/stories/{story.id}/preview", {"body": TOO_LONG}, htmx)
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="story-preview"')
    assert f'<span class="nhsuk-u-visually-hidden">Error: </span>{LONG_MESSAGE}</p>' in fragment
    assert "Fewer admissions" not in fragment
    assert parsed == []
    assert saved_body(story) == SAVED_BODY


def test_previewing_a_story_too_long_to_save_without_javascript_says_so_by_the_field(
    client: PortalClient, author: Any
) -> None:
    story = draft(author)
    client.sign_in(author)
    with parser_inputs() as parsed:
        response = client.post_form(
            f"/stories/{story.id}/edit",
            form_data(body=TOO_LONG, action="preview"),
            False,
        )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "body") == LONG_MESSAGE
    assert "Select “Preview” to see how your story will look." in page  # no preview made
    assert parsed == []
    assert saved_body(story) == SAVED_BODY


PATHOLOGICAL = {
    "20,000 [": "[" * BODY_MAX,
    "a table 500 columns wide": "a|" * 500 + "\n" + "-|" * 500 + "\n" + "b\n" * 900,
    "nested quotes between lines of text": "a\n>>>>>>>>\n" * 200,
}


@HTMX_OR_NOT
@pytest.mark.parametrize("body", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_a_preview_that_would_keep_the_parser_busy_is_shown_as_plain_text(
    client: PortalClient, author: Any, body: str, htmx: bool
) -> None:
    assert len(body) <= BODY_MAX
    story = draft(author)
    client.sign_in(author)
    with parser_inputs() as parsed:
        response = client.post_form(f"/stories/{story.id}/preview", {"body": body}, htmx)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert PLAIN_TEXT_NOTE in fragment
    assert body.split("\n")[0][:40] in fragment  # what was written, as it was written
    assert parsed == []
    assert saved_body(story) == SAVED_BODY


def test_ordinary_markdown_is_still_laid_out(client: PortalClient, author: Any) -> None:
    story = draft(author)
    client.sign_in(author)
    body = "## Results\n\n* Fewer admissions\n* [NICE](https://www.nice.org.uk)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    with parser_inputs() as parsed:
        response = client.post_form(f"/stories/{story.id}/preview", {"body": body}, True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h3>Results</h3>" in fragment and "<td>2</td>" in fragment
    assert PLAIN_TEXT_NOTE not in fragment
    assert parsed == [body]
