"""Stories through HTTP: writing, reviewing and reading, and who gets what answer, for full pages and
htmx requests alike."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.stories.models import Measure, Pathway, Story, StoryState
from portal.stories.service import publish, return_for_changes, submit, withdraw
from tests.client import HTMX, PortalClient
from tests.factories import draft, make_trust, make_user
from tests.stories.helpers import form_data


@pytest.fixture
def people(app: Flask) -> dict[str, Any]:
    trust = make_trust("Riverside NHS Trust", "RS1", "north-east")
    other = make_trust("Hillside NHS Trust", "HS1", "north-east")
    return {
        "owner": make_user("trust", "owner@example.org", trust=trust),
        "other_trust": make_user("trust", "other@example.org", trust=other),
        "coordinator": make_user("coordinator", "ne@example.org", region_slug="north-east"),
        "other_coordinator": make_user("coordinator", "ldn@example.org", region_slug="london"),
        "admin": make_user("admin", "admin@example.org"),
    }


def client_as(app: Flask, people: dict[str, Any], role: str) -> PortalClient:
    client = app.test_client()
    if role != "anonymous":
        client.sign_in(people[role])
    return client


def reload(story: Story) -> Story:
    db.session.expire_all()
    found = db.session.get(Story, story.id)
    assert found is not None
    return found


# --- Writing ----------------------------------------------------------------------------------


def test_staff_start_a_draft_write_it_and_submit_it(app: Flask, people: dict) -> None:
    client = client_as(app, people, "owner")
    page = client.get("/stories/mine").get_data(as_text=True)
    assert "Your trust has no stories yet" in page

    response = client.post_form("/stories/new", {})
    assert response.status_code == 303
    story = db.session.scalars(select(Story)).one()
    assert response.headers["Location"] == f"/stories/{story.id}/edit"
    assert story.state is StoryState.DRAFT and story.title == ""

    # Starting again before writing anything reuses the empty draft.
    assert client.post_form("/stories/new", {}).headers["Location"] == f"/stories/{story.id}/edit"
    assert db.session.scalar(select(db.func.count(Story.id))) == 1

    data = form_data(
        **{
            "pathways": ["first-pregnancy", "top-ten"],
            "measure_emergency_cs-baseline_value": "15.2",
            "measure_emergency_cs-baseline_period": "2007–08",
            "measure_emergency_cs-latest_value": "12.9%",
            "measure_emergency_cs-latest_period": "2009–10",
            "action": "save",
        }
    )
    response = client.post_form(f"/stories/{story.id}/edit", data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/stories/{story.id}"
    story = reload(story)
    assert story.title == "Staying at home in early labour"
    assert story.pathways == [Pathway.FIRST_PREGNANCY, Pathway.TOP_TEN]
    measure = story.measure(Measure.EMERGENCY_CS)
    assert (measure.baseline_value, measure.latest_value, measure.change) == (15.2, 12.9, -2.3)

    page = client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert "Your draft has been saved." in page
    assert "Submit for review" in page
    assert "Down 2.3 percentage points" in page

    refused = client.post_form(f"/stories/{story.id}/submit", {})
    assert refused.status_code == 422
    assert "Confirm that the story holds no patient-identifiable information" in refused.get_data(
        as_text=True
    )
    assert reload(story).state is StoryState.DRAFT

    response = client.post_form(f"/stories/{story.id}/submit", {"declaration": "y"})
    assert response.status_code == 303
    story = reload(story)
    assert story.state is StoryState.SUBMITTED and story.author_declared_no_pii
    page = client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert "sent to NHS North East’s coordinator for review" in page


def test_bad_input_is_explained_and_changes_nothing(app: Flask, people: dict) -> None:
    story = draft(people["owner"])
    client = client_as(app, people, "owner")
    data = form_data(
        title="x" * 151,
        pathways=["vbac", "made-up"],
        event="999999",
        **{"measure_vbac-baseline_value": "abc", "measure_total_cs-latest_value": "40"},
    )
    response = client.post_form(f"/stories/{story.id}/edit", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in (
        "Title must be 150 characters or fewer",
        "Select pathways from the list",
        "Not a valid choice",
        "VBAC rate: Baseline (%) must be a percentage from 0 to 100, like 24.5",
        "Total caesarean section rate: Enter the baseline period",
    ):
        assert message in page, message
    assert 'value="abc"' in page  # what was typed comes back
    assert reload(story).title == "A VBAC clinic run by midwives"


def test_autosave_saves_as_people_write_and_answers_with_a_status(app: Flask, people: dict) -> None:
    story = draft(people["owner"])
    client = client_as(app, people, "owner")
    response = client.post_form(
        f"/stories/{story.id}/autosave",
        form_data(title="Half-written title", body="Half a sentence"),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("Draft saved at ")
    assert (reload(story).title, reload(story).body) == ("Half-written title", "Half a sentence")

    response = client.post_form(
        f"/stories/{story.id}/autosave", form_data(title="x" * 200), headers=HTMX
    )
    assert "not saved yet" in response.get_data(as_text=True)
    assert reload(story).title == "Half-written title"


def test_autosave_after_the_session_ended_keeps_the_page(app: Flask, people: dict) -> None:
    story = draft(people["owner"])
    client = client_as(app, people, "owner")
    token = client.csrf_token("/")
    with client.session_transaction() as cookie:  # the person has been away too long
        cookie["_seen"] -= app.config["SESSION_IDLE_MINUTES"] * 60 + 1
    response = client.post(
        f"/stories/{story.id}/autosave",
        data={**form_data(title="Typed while away"), "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 401
    assert "HX-Redirect" not in response.headers  # the page and what was typed stay
    assert "You have been signed out, so your latest changes are not saved" in (
        response.get_data(as_text=True)
    )
    assert reload(story).title != "Typed while away"


def test_autosave_of_a_submitted_story_changes_nothing(app: Flask, people: dict) -> None:
    story = draft(people["owner"])
    submit(story, actor=people["owner"])
    client = client_as(app, people, "owner")
    response = client.post_form(
        f"/stories/{story.id}/autosave", form_data(title="Sneaky"), headers=HTMX
    )
    assert "Not saved: this story is waiting for review now." in response.get_data(as_text=True)
    assert reload(story).title == "A VBAC clinic run by midwives"


def test_preview_renders_markdown_as_a_fragment_without_saving(app: Flask, people: dict) -> None:
    story = draft(people["owner"])
    client = client_as(app, people, "owner")
    response = client.post_form(
        f"/stories/{story.id}/preview",
        {"body": "## Results\n\n**Fewer** admissions"},
        headers=HTMX,
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<section id="story-preview"')
    assert "<h3>Results</h3>" in fragment and "<strong>Fewer</strong>" in fragment
    assert "hx-disable" in fragment
    assert reload(story).body == "## What we changed\n\nWe started a **weekly clinic**."


def test_preview_without_javascript_saves_and_shows_the_story(app: Flask, people: dict) -> None:
    story = draft(people["owner"])
    client = client_as(app, people, "owner")
    response = client.post_form(
        f"/stories/{story.id}/edit",
        form_data(body="* one\n* two", action="preview"),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<li>one</li>" in page and 'name="title"' in page
    assert reload(story).body == "* one\n* two"


def test_a_returned_story_shows_the_comment_and_can_be_resubmitted(
    app: Flask, people: dict
) -> None:
    story = draft(people["owner"])
    submit(story, actor=people["owner"])
    return_for_changes(story, "Please give the periods.", actor=people["coordinator"])
    client = client_as(app, people, "owner")
    assert "Please give the periods." in client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert "Please give the periods." in client.get(f"/stories/{story.id}/edit").get_data(
        as_text=True
    )
    assert "Returned with a comment" in client.get("/stories/mine").get_data(as_text=True)
    assert (
        client.post_form(f"/stories/{story.id}/edit", form_data(action="save")).status_code == 303
    )
    assert client.post_form(f"/stories/{story.id}/submit", {"declaration": "y"}).status_code == 303
    assert reload(story).state is StoryState.SUBMITTED


def test_staff_delete_a_draft_and_withdraw_a_published_story(app: Flask, people: dict) -> None:
    owner = people["owner"]
    doomed = draft(owner, title="To delete")
    client = client_as(app, people, "owner")
    assert "Delete this draft?" in client.get(f"/stories/{doomed.id}/delete").get_data(as_text=True)
    doomed_id = doomed.id
    assert (
        client.post_form(f"/stories/{doomed_id}/delete", {}).headers["Location"] == "/stories/mine"
    )
    db.session.expire_all()
    assert db.session.get(Story, doomed_id) is None

    story = draft(owner)
    submit(story, actor=owner)
    publish(story, actor=people["coordinator"])
    assert client.post_form(f"/stories/{story.id}/withdraw", {}).status_code == 303
    assert reload(story).state is StoryState.WITHDRAWN
    assert app.test_client().get(f"/stories/{story.id}").status_code == 404


# --- Review -----------------------------------------------------------------------------------


def test_the_coordinator_reviews_the_queue(app: Flask, people: dict) -> None:
    story = draft(people["owner"])
    submit(story, actor=people["owner"])
    client = client_as(app, people, "coordinator")
    queue = client.get("/stories/review").get_data(as_text=True)
    assert "A VBAC clinic run by midwives" in queue
    other_queue = client_as(app, people, "other_coordinator").get("/stories/review")
    assert "A VBAC clinic run by midwives" not in other_queue.get_data(as_text=True)
    assert "A VBAC clinic" in client_as(app, people, "admin").get("/stories/review").get_data(
        as_text=True
    )

    refused = client.post_form(f"/stories/{story.id}/return", {"comment": ""})
    assert refused.status_code == 422
    assert "Say what the trust should change" in refused.get_data(as_text=True)
    refused = client.post_form(f"/stories/{story.id}/publish", {})
    assert refused.status_code == 422
    assert "Confirm that you have checked the story" in refused.get_data(as_text=True)
    assert reload(story).state is StoryState.SUBMITTED

    response = client.post_form(f"/stories/{story.id}/publish", {"confirmation": "y"})
    assert response.status_code == 303
    story = reload(story)
    assert story.state is StoryState.PUBLISHED and story.reviewer_confirmed_no_pii
    assert "No stories are waiting for review" in client.get("/stories/review").get_data(
        as_text=True
    )
    # Deciding twice (a double click, a second reviewer) changes nothing more.
    again = client.post_form(f"/stories/{story.id}/return", {"comment": "Too late"})
    assert again.status_code == 303
    assert reload(story).state is StoryState.PUBLISHED


def test_recently_reviewed_lists_only_the_coordinators_region_newest_first(
    app: Flask, people: dict
) -> None:
    older = draft(people["owner"], title="An older decision")
    newer = draft(people["owner"], title="A newer decision")
    for story in (older, newer):
        submit(story, actor=people["owner"])
        publish(story, actor=people["coordinator"])

    queue = client_as(app, people, "coordinator").get("/stories/review").get_data(as_text=True)
    reviewed = queue.split("Recently reviewed", 1)[1]
    assert reviewed.index("A newer decision") < reviewed.index("An older decision")
    other = client_as(app, people, "other_coordinator").get("/stories/review")
    assert "Recently reviewed" not in other.get_data(as_text=True)
    everyone = client_as(app, people, "admin").get("/stories/review").get_data(as_text=True)
    assert "A newer decision" in everyone.split("Recently reviewed", 1)[1]


# --- Reading ----------------------------------------------------------------------------------


def test_a_published_story_appears_wherever_it_belongs(app: Flask, people: dict) -> None:
    from tests.factories import make_event

    event = make_event(people["coordinator"], "north-east", publish=True)
    story = draft(people["owner"], event_id=event.id)
    submit(story, actor=people["owner"])
    publish(story, actor=people["coordinator"])
    client = app.test_client()
    page = client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert "Riverside NHS Trust" in page and "NHS North East" in page
    assert "Vaginal birth after caesarean (VBAC)" in page
    assert f'href="/events/{event.id}"' in page
    for path in ("/", "/stories", f"/events/{event.id}", "/trusts/RS1"):
        assert f'href="/stories/{story.id}"' in client.get(path).get_data(as_text=True), path


def test_lists_paginate_and_filters_narrow_them(app: Flask, people: dict) -> None:
    from tests.factories import stored_story

    trust = people["owner"].trust
    for n in range(12):
        stored_story(trust, title=f"Story number {n}", measures=(Measure.VBAC,) if n < 3 else ())
    client = app.test_client()
    first = client.get("/stories").get_data(as_text=True)
    assert "12 stories" in first and "Page 2 of 2" in first
    second = client.get("/stories?page=2").get_data(as_text=True)
    assert second.count("portal-story-list") == 1
    assert second.count("Story number") == 2
    assert "3 stories" in client.get("/stories?measure=vbac").get_data(as_text=True)
    assert "12 stories" in client.get("/stories?region=north-east&trust=RS1").get_data(as_text=True)
    assert "No stories" in client.get("/stories?region=london").get_data(as_text=True)
    # Unknown filter values are ignored rather than refused.
    assert "12 stories" in client.get("/stories?pathway=nope&measure=x&page=99").get_data(
        as_text=True
    )


def test_stories_are_found_by_a_typed_trust_name_or_ods_code(app: Flask, people: dict) -> None:
    from tests.factories import stored_story

    stored_story(people["owner"].trust, title="Riverside's birth centre")
    stored_story(make_trust("Thames NHS Trust", "TT1", "london"), title="Thames triage line")
    client = app.test_client()

    by_code = client.get("/stories?trust=rs1").get_data(as_text=True)  # any case
    assert "1 story from <bdi>Riverside NHS Trust</bdi>" in by_code
    assert "Riverside&#39;s birth centre" in by_code and "Thames triage line" not in by_code
    by_words = client.get("/stories?trust=thames", headers=HTMX).get_data(as_text=True)
    assert by_words.startswith('<section id="story-results"')
    assert "1 story from trusts matching “<bdi>thames</bdi>”" in by_words
    assert "Thames triage line" in by_words and "Riverside" not in by_words
    nowhere = client.get("/stories?trust=Nowhere").get_data(as_text=True)
    assert "No stories from trusts matching" in nowhere
    assert "part of the trust’s name, or its ODS code" in nowhere
    assert 'value="Nowhere"' in nowhere  # the box keeps what was typed


def test_active_search_gets_only_the_results_and_a_count_to_announce(
    app: Flask, people: dict
) -> None:
    from tests.factories import stored_story

    stored_story(people["owner"].trust, title="Birth pools", body="Water in labour")
    response = app.test_client().get(
        "/stories?q=water", headers={"HX-Request": "true", "HX-Target": "story-results"}
    )
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="story-results"')
    assert 'hx-swap-oob="innerHTML">1 story matching “water”</p>' in fragment
    assert response.headers["Vary"].count("HX-Request") == 1


def test_empty_states_help(app: Flask) -> None:
    client = app.test_client()
    assert "No improvement stories have been published yet" in client.get("/stories").get_data(
        as_text=True
    )
    page = client.get("/stories?q=unheardof").get_data(as_text=True)
    assert "No stories matching “unheardof”" in page
    assert "fewer or different words" in page


# --- Who gets what ----------------------------------------------------------------------------

ROLES = ["anonymous", "owner", "other_trust", "coordinator", "other_coordinator", "admin"]


def _story_in(state: StoryState, people: dict) -> Story:
    owner, coordinator = people["owner"], people["coordinator"]
    story = draft(owner)
    if state is not StoryState.DRAFT:
        submit(story, actor=owner)
    if state is StoryState.RETURNED:
        return_for_changes(story, "Change it", actor=coordinator)
    if state in (StoryState.PUBLISHED, StoryState.WITHDRAWN):
        publish(story, actor=coordinator)
    if state is StoryState.WITHDRAWN:
        withdraw(story, actor=owner)
    return story


# Who may see a story's page in each state (everyone else gets 404).
SEES = {
    StoryState.DRAFT: {"owner"},
    StoryState.SUBMITTED: {"owner", "coordinator", "admin"},
    StoryState.RETURNED: {"owner", "coordinator", "admin"},
    StoryState.PUBLISHED: set(ROLES),
    StoryState.WITHDRAWN: {"owner", "coordinator", "admin"},
}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("state", list(StoryState), ids=[s.value for s in StoryState])
def test_who_sees_a_story_in_each_state(
    app: Flask, people: dict, state: StoryState, htmx: bool
) -> None:
    story = _story_in(state, people)
    for role in ROLES:
        response = client_as(app, people, role).get(
            f"/stories/{story.id}", headers=HTMX if htmx else {}
        )
        expected = 200 if role in SEES[state] else 404
        assert response.status_code == expected, (role, state)


WRITER_REQUESTS = [
    ("GET", "/stories/{id}/edit"),
    ("POST", "/stories/{id}/edit"),
    ("POST", "/stories/{id}/autosave"),
    ("POST", "/stories/{id}/preview"),
    ("GET", "/stories/{id}/submit"),
    ("POST", "/stories/{id}/submit"),
    ("GET", "/stories/{id}/delete"),
    ("POST", "/stories/{id}/delete"),
]
REVIEWER_REQUESTS = [
    ("GET", "/stories/{id}/review"),
    ("POST", "/stories/{id}/publish"),
    ("POST", "/stories/{id}/return"),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("role", ["other_trust", "coordinator", "other_coordinator", "admin"])
def test_only_the_trust_writes_its_stories(app: Flask, people: dict, role: str, htmx: bool) -> None:
    story = draft(people["owner"])
    client = client_as(app, people, role)
    for method, pattern in WRITER_REQUESTS:
        path = pattern.format(id=story.id)
        if method == "GET":
            response = client.get(path, headers=HTMX if htmx else {})
        else:
            response = client.post_form(
                path, form_data(declaration="y"), headers=HTMX if htmx else {}
            )
        assert response.status_code == 404, (role, method, path)
        if htmx:
            assert response.headers["HX-Retarget"] == "#maincontent"
    assert reload(story).state is StoryState.DRAFT
    assert reload(story).title == "A VBAC clinic run by midwives"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("role", ["owner", "other_trust", "other_coordinator"])
def test_only_the_region_and_the_programme_team_review(
    app: Flask, people: dict, role: str, htmx: bool
) -> None:
    story = _story_in(StoryState.SUBMITTED, people)
    client = client_as(app, people, role)
    for method, pattern in REVIEWER_REQUESTS:
        path = pattern.format(id=story.id)
        if method == "GET":
            response = client.get(path, headers=HTMX if htmx else {})
        else:
            data = {"confirmation": "y", "comment": "No"}
            response = client.post_form(path, data, headers=HTMX if htmx else {})
        assert response.status_code == 404, (role, method, path)
    assert reload(story).state is StoryState.SUBMITTED


@pytest.mark.parametrize("role", ["anonymous", "other_trust", "other_coordinator"])
def test_outsiders_cannot_withdraw_a_published_story(app: Flask, people: dict, role: str) -> None:
    story = _story_in(StoryState.PUBLISHED, people)
    client = client_as(app, people, role)
    source = "/sign-in" if role == "anonymous" else "/"
    response = client.post_form(f"/stories/{story.id}/withdraw", {}, token_from=source)
    assert response.status_code == (302 if role == "anonymous" else 404)
    assert reload(story).state is StoryState.PUBLISHED


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_reviewers_may_withdraw_a_published_story(app: Flask, people: dict, role: str) -> None:
    story = _story_in(StoryState.PUBLISHED, people)
    assert (
        client_as(app, people, role).post_form(f"/stories/{story.id}/withdraw", {}).status_code
        == 303
    )
    assert reload(story).state is StoryState.WITHDRAWN


def test_pages_of_a_role_refuse_the_others(app: Flask, people: dict) -> None:
    for role in ("coordinator", "admin"):
        client = client_as(app, people, role)
        assert client.get("/stories/mine").status_code == 403
        assert client.post_form("/stories/new", {}).status_code == 403
    assert client_as(app, people, "owner").get("/stories/review").status_code == 403
    anonymous = app.test_client()
    for path in ("/stories/mine", "/stories/review"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        response = anonymous.get(path, headers=HTMX)
        assert response.status_code == 401 and "HX-Redirect" in response.headers


def test_line_breaks_are_stored_one_way_whoever_sends_them(app: Flask, people: dict) -> None:
    story = draft(people["owner"])
    client = client_as(app, people, "owner")
    body = "a" * 9999 + "\r\n" + "b" * 10000  # 20,000 characters once CR LF is one line break
    response = client.post_form(f"/stories/{story.id}/edit", form_data(body=body, action="save"))
    assert response.status_code == 303
    assert reload(story).body == "a" * 9999 + "\n" + "b" * 10000
