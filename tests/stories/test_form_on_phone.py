"""The story form keeps short: only the measures a story quotes have boxes; "Add a measure" adds
one more (a plain POST without JavaScript, a fragment for htmx), "Remove" takes one off, and
neither checks nor saves anything; the draft still saves itself as people write."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from portal.extensions import db
from portal.stories.models import Measure, Story
from portal.stories.service import MeasureValues
from tests.client import PortalClient
from tests.factories import draft, make_trust, make_user
from tests.stories.helpers import form_data
from tests.web.helpers import HTMX_OR_NOT, field_error

SAVED_TITLE = "A VBAC clinic run by midwives"
VBAC = MeasureValues(Measure.VBAC, 21.5, "2007–08", 30.0, "2009–10")
TOTAL = MeasureValues(Measure.TOTAL_CS, 27.4, "2007–08", 24.1, "2009–10")


@pytest.fixture
def author(app: Flask) -> Any:
    trust = make_trust("Riverside NHS Trust", "RS1", "north-east")
    return make_user("trust", "owner@example.org", trust=trust)


@pytest.fixture
def writer(client: PortalClient, author: Any) -> PortalClient:
    client.sign_in(author)
    return client


def stored(story: Story) -> Story:
    db.session.expire_all()
    found = db.session.get(Story, story.id)
    assert found is not None
    return found


def measure_boxes(page: str) -> set[str]:
    """The measures whose boxes the page shows (by their inputs' names)."""
    return set(re.findall(r'name="measure_([a-z_]+)-baseline_value"', page))


def value_of(page: str, name: str) -> str | None:
    match = re.search(rf'<input\b[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    if match is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def to_add(page: str) -> list[str]:
    """The measures "Add a measure" offers."""
    select = re.search(r'<select\b[^>]*name="new_measure".*?</select>', page, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(0)) if select else []


def typed(measure: str, **parts: str) -> dict[str, str]:
    return {f"measure_{measure}-{part}": value for part, value in parts.items()}


def test_a_story_without_measures_shows_no_measure_boxes_until_one_is_added(
    writer: PortalClient, author: Any
) -> None:
    story = draft(author)
    page = writer.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert measure_boxes(page) == set()
    assert 'name="add_measure"' in page and ">Add a measure</button>" in page
    assert to_add(page) == [m.value for m in Measure]


def test_a_story_shows_the_boxes_of_the_measures_it_quotes_and_offers_the_others(
    writer: PortalClient, author: Any
) -> None:
    story = draft(author, measures=[VBAC, TOTAL])
    page = writer.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert measure_boxes(page) == {"vbac", "total_cs"}
    assert value_of(page, "measure_vbac-baseline_value") == "21.5"
    assert 'name="remove_measure" value="vbac"' in page
    assert to_add(page) == ["elective-cs", "emergency-cs", "normal-birth"]


def test_adding_a_measure_without_javascript_keeps_what_was_typed_and_saves_nothing(
    writer: PortalClient, author: Any
) -> None:
    story = draft(author)
    # The total rate half typed: not finished, so not an error yet.
    data = form_data(
        title="Typed, not saved yet",
        measures_shown=["total-cs"],
        new_measure="vbac",
        add_measure="1",
        **typed("total_cs", baseline_value="31.5", baseline_period="2007–08"),
    )
    response = writer.post_form(f"/stories/{story.id}/edit", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html" in page  # the whole page
    assert measure_boxes(page) == {"total_cs", "vbac"}
    assert value_of(page, "title") == "Typed, not saved yet"
    assert value_of(page, "measure_total_cs-baseline_value") == "31.5"
    assert value_of(page, "measure_total_cs-baseline_period") == "2007–08"
    assert value_of(page, "measure_vbac-baseline_value") == ""
    # The cursor goes to the measure just added.
    assert re.search(r'name="measure_vbac-baseline_value"[^>]*autofocus', page)
    assert "There is a problem" not in page and "Enter the" not in page
    assert 'class="nhsuk-error-message"' not in page
    assert "VBAC rate added." in page
    assert stored(story).title == SAVED_TITLE and stored(story).measures == []


def test_adding_a_measure_with_htmx_swaps_in_the_measures_alone(
    writer: PortalClient, author: Any
) -> None:
    story = draft(author, measures=[TOTAL])
    data = form_data(
        measures_shown=["total-cs"],
        new_measure="normal-birth",
        add_measure="1",
        **typed("total_cs", baseline_value="27.4", latest_value="99"),
    )
    response = writer.post_form(f"/stories/{story.id}/edit", data, True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="story-measures"')
    assert measure_boxes(fragment) == {"total_cs", "normal_birth"}
    assert value_of(fragment, "measure_total_cs-latest_value") == "99"
    assert re.search(r'name="measure_normal_birth-baseline_value"[^>]*autofocus', fragment)
    assert re.search(
        r'<p id="measures-status" hx-swap-oob="innerHTML">Normal birth rate added.</p>', fragment
    )
    assert "HX-Trigger-After-Settle" not in response.headers  # nothing to save yet
    assert stored(story).measures[0].latest_value == 24.1


@HTMX_OR_NOT
def test_an_unknown_measure_to_add_adds_the_first_not_shown(
    writer: PortalClient, author: Any, htmx: bool
) -> None:
    story = draft(author, measures=[TOTAL])
    data = form_data(
        measures_shown=["total-cs", "made-up"], new_measure="total-cs", add_measure="1"
    )
    page = writer.post_form(f"/stories/{story.id}/edit", data, htmx).get_data(as_text=True)
    assert measure_boxes(page) == {"total_cs", "elective_cs"}


def test_with_every_measure_shown_there_is_none_left_to_add(
    writer: PortalClient, author: Any
) -> None:
    story = draft(author)
    data = form_data(measures_shown=[m.value for m in Measure], add_measure="1")
    page = writer.post_form(f"/stories/{story.id}/edit", data).get_data(as_text=True)
    assert measure_boxes(page) == {m.value.replace("-", "_") for m in Measure}
    assert 'name="add_measure"' not in page and to_add(page) == []
    assert "The story quotes every measure there is." in page


@HTMX_OR_NOT
def test_removing_a_measure_takes_its_boxes_off_and_saving_then_drops_it(
    writer: PortalClient, author: Any, htmx: bool
) -> None:
    story = draft(author, measures=[VBAC, TOTAL])
    data = form_data(
        measures_shown=["vbac", "total-cs"],
        remove_measure="vbac",
        **typed("vbac", baseline_value="21.5", baseline_period="2007–08"),
        **typed("total_cs", baseline_value="27.4", latest_value="20"),
    )
    response = writer.post_form(f"/stories/{story.id}/edit", data, htmx)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert measure_boxes(page) == {"total_cs"}
    assert value_of(page, "measure_total_cs-latest_value") == "20"
    assert value_of(page, "measure_vbac-baseline_value") is None
    assert 'value="21.5"' not in page
    assert "VBAC rate removed." in page
    assert ("<html" in page) is not htmx
    # htmx: the form then saves itself; without it, "Save draft" does.
    assert response.headers.get("HX-Trigger-After-Settle") == (
        "story-measures-changed" if htmx else None
    )
    assert {m.measure for m in stored(story).measures} == {Measure.VBAC, Measure.TOTAL_CS}

    after = form_data(
        measures_shown=["total-cs"],
        **typed(
            "total_cs",
            baseline_value="27.4",
            baseline_period="2007–08",
            latest_value="20",
            latest_period="2009–10",
        ),
    )
    if htmx:
        answer = writer.post_form(f"/stories/{story.id}/autosave", after, True)
        assert answer.get_data(as_text=True).startswith("Draft saved at ")
    else:
        answer = writer.post_form(f"/stories/{story.id}/edit", {**after, "action": "save"})
        assert answer.status_code == 303
    saved = stored(story).measures
    assert [(m.measure, m.latest_value) for m in saved] == [(Measure.TOTAL_CS, 20.0)]


def test_autosave_saves_with_the_measures_as_the_form_sends_them(
    writer: PortalClient, author: Any
) -> None:
    story = draft(author)
    data = form_data(
        title="Saved as I type",
        measures_shown=["vbac", "normal-birth"],  # normal birth added, still empty
        new_measure="total-cs",
        **typed(
            "vbac",
            baseline_value="21.5",
            baseline_period="2007–08",
            latest_value="30",
            latest_period="2009–10",
        ),
    )
    response = writer.post_form(f"/stories/{story.id}/autosave", data, True)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("Draft saved at ")
    story = stored(story)
    assert story.title == "Saved as I type"
    assert [(m.measure, m.latest_value) for m in story.measures] == [(Measure.VBAC, 30.0)]


@HTMX_OR_NOT
def test_saving_with_an_empty_measure_added_saves_the_rest(
    writer: PortalClient, author: Any, htmx: bool
) -> None:
    story = draft(author)
    data = form_data(title="Saved", measures_shown=["vbac"], action="save")
    response = writer.post_form(f"/stories/{story.id}/edit", data, htmx)
    if htmx:
        assert response.status_code == 204
        assert response.headers["HX-Location"] == f"/stories/{story.id}"
    else:
        assert response.status_code == 303
    assert stored(story).title == "Saved" and stored(story).measures == []


@HTMX_OR_NOT
def test_saving_a_half_typed_measure_is_refused_with_every_value_kept(
    writer: PortalClient, author: Any, htmx: bool
) -> None:
    story = draft(author)
    data = form_data(
        title="Not saved",
        measures_shown=["vbac", "normal-birth"],
        action="save",
        **typed("vbac", baseline_value="21.5", latest_period="2009–10"),
    )
    response = writer.post_form(f"/stories/{story.id}/edit", data, htmx)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "measure_vbac-baseline_period") == "Enter the baseline period"
    assert field_error(page, "measure_vbac-latest_value") == "Enter the latest"
    assert measure_boxes(page) == {"vbac", "normal_birth"}  # the empty one added stays
    assert value_of(page, "title") == "Not saved"
    assert value_of(page, "measure_vbac-baseline_value") == "21.5"
    assert value_of(page, "measure_vbac-latest_period") == "2009–10"
    assert stored(story).title == SAVED_TITLE


def test_the_status_is_beside_the_text_and_beside_the_button(
    writer: PortalClient, author: Any
) -> None:
    story = draft(author)
    page = writer.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    body = page.index('name="body"')
    copy = page.index('data-copy-of="autosave-status"')
    preview = page.index('id="story-preview"')
    assert body < copy < preview  # right under the text
    bar = page.index('class="portal-form-actions"')
    assert page.index(">Save draft</button>", bar) < page.index('id="autosave-status"', bar)
    assert page.count('role="status"') == 2  # the status and the measures' news; not the copy
