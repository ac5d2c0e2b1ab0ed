"""A story's title and a measure's periods are one line (they go into feeds and lists): a line
break or a control character is refused by the field; the story's text keeps its lines."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from portal.extensions import db
from portal.stories.models import Story
from tests.client import PortalClient
from tests.factories import draft, make_trust, make_user
from tests.stories.helpers import form_data
from tests.web.helpers import HTMX_OR_NOT, NOT_ONE_LINE, ONE_LINE_MESSAGE, field_error

SAVED_TITLE = "A VBAC clinic run by midwives"
SAVED_BODY = "## What we changed\n\nWe started a **weekly clinic**."


@pytest.fixture
def author(app: Flask) -> Any:
    return make_user("trust", "owner@example.org", trust=make_trust("Riverside NHS Trust", "RS1"))


def saved(story: Story) -> tuple[str, str]:
    db.session.expire_all()
    found = db.session.get(Story, story.id)
    assert found is not None
    return found.title, found.body


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_a_title_with_a_control_character_is_refused_and_the_draft_is_kept(
    client: PortalClient, author: Any, value: str, htmx: bool
) -> None:
    story = draft(author)
    client.sign_in(author)
    data = form_data(title=value, body="Changed text", action="save")
    response = client.post_form(f"/stories/{story.id}/edit", data, htmx)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "title") == f"Title {ONE_LINE_MESSAGE}"
    assert saved(story) == (SAVED_TITLE, SAVED_BODY)


@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_autosave_does_not_save_a_title_with_a_control_character(
    client: PortalClient, author: Any, value: str
) -> None:
    story = draft(author)
    client.sign_in(author)
    response = client.post_form(f"/stories/{story.id}/autosave", form_data(title=value), True)
    assert "not saved yet" in response.get_data(as_text=True)
    assert saved(story) == (SAVED_TITLE, SAVED_BODY)


@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_a_measure_period_with_a_control_character_is_refused(
    client: PortalClient, author: Any, value: str
) -> None:
    story = draft(author)
    client.sign_in(author)
    data = form_data(
        action="save",
        **{
            "measure_vbac-baseline_value": "20",
            "measure_vbac-baseline_period": value,
            "measure_vbac-latest_value": "30",
            "measure_vbac-latest_period": "2008–09",
        },
    )
    response = client.post_form(f"/stories/{story.id}/edit", data, False)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "measure_vbac-baseline_period") == (
        f"Baseline period {ONE_LINE_MESSAGE}"
    )
    assert saved(story) == (SAVED_TITLE, SAVED_BODY)


@HTMX_OR_NOT
def test_the_story_keeps_its_line_breaks(client: PortalClient, author: Any, htmx: bool) -> None:
    story = draft(author)
    client.sign_in(author)
    body = "## Results\r\n\r\n* Fewer admissions\r\n* Happier women"
    data = form_data(title="Early labour at home", body=body, action="save")
    response = client.post_form(f"/stories/{story.id}/edit", data, htmx)
    assert response.status_code == (204 if htmx else 303), response.get_data(as_text=True)
    assert saved(story) == (
        "Early labour at home",
        "## Results\n\n* Fewer admissions\n* Happier women",
    )
