"""Improvement stories in the browser: trust staff write a story (live preview and autosave with
JavaScript, the Preview button without), submit it, a coordinator returns it and then publishes
it, and anyone finds it by searching; every stories page passes axe on a desktop and a phone;
Markdown written by people runs no script and no htmx; screenshots for a person to read.

Each test writes stories of its own, for a trust of its own made in the live server's database
in North East (whose demo coordinator reviews them), with words no other story holds, so the
tests need no particular order and leave the demo stories alone.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Dialog, Locator, Page, Request, Response, expect
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.auth.service import create_user, find_by_email
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from portal.stories.models import Measure, Pathway, Story, StoryState
from portal.stories.service import (
    MeasureValues,
    StoryValues,
    create_draft,
    publish,
    return_for_changes,
    submit,
)
from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    check_and_save,
    problems_of,
    settled,
    sign_in,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

REGION = "north-east"
COORDINATOR = "coordinator.north-east@example.org"
DEMO_WITH_MEASURES = "A VBAC clinic run by midwives"

viewports = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


# --- Arrange: a trust, its staff and stories of the tests' own ---------------------------------


def short_id() -> str:
    return uuid.uuid4().hex[:8]


def new_staff() -> str:
    """Trust staff of a new North East trust (inside an app context); return their e-mail."""
    trust = Trust(
        name=f"Browser Stories NHS Trust {short_id()}",
        ods_code=f"S{uuid.uuid4().hex[:4].upper()}",
        region=region_by_slug(REGION),
        participating=True,
    )
    db.session.add(trust)
    db.session.flush()
    email = f"browser.stories.{short_id()}@example.org"
    create_user(email, Role.TRUST, name="Morgan Writer", password=PASSWORD, trust=trust)
    db.session.commit()
    return email


def person(email: str) -> User:
    found = find_by_email(email)
    assert found is not None
    return found


@pytest.fixture
def make_staff(default_app: Flask) -> Callable[[], str]:
    """Make trust staff of a new trust in North East, for this test alone."""

    def make() -> str:
        with default_app.app_context():
            email = new_staff()
            db.session.remove()
        return email

    return make


def story_values(title: str, body: str, **changes: Any) -> StoryValues:
    values = StoryValues(
        title=title,
        summary="Midwives ran a weekly clinic and more women chose to plan a vaginal birth.",
        body=body,
        pathways=[Pathway.VBAC],
        measures=[
            MeasureValues(Measure.VBAC, 21.5, "April 2007 to March 2008", 30.0, "2009–10"),
            MeasureValues(Measure.TOTAL_CS, 27.4, "2007–08", 24.1, "2009–10"),
        ],
    )
    for name, value in changes.items():
        setattr(values, name, value)
    return values


def write_story(staff_email: str, state: StoryState, title: str, body: str, **changes: Any) -> int:
    """A story of the staff member's trust, taken to `state` through the service (in an app
    context); return its id."""
    staff = person(staff_email)
    assert staff.trust is not None
    story = create_draft(staff.trust, story_values(title, body, **changes), actor=staff)
    if state is not StoryState.DRAFT:
        submit(story, actor=staff)
        reviewer = person(COORDINATOR)
        if state is StoryState.RETURNED:
            return_for_changes(
                story, "Please give the number of women each rate is based on.", actor=reviewer
            )
        elif state is StoryState.PUBLISHED:
            publish(story, actor=reviewer)
        else:
            assert state is StoryState.SUBMITTED
    return story.id


@dataclass(frozen=True)
class Scenery:
    """A trust with stories in several states, to look at (and never change) in many tests."""

    staff: str
    draft: int
    submitted: int
    returned: int
    published: int
    demo_with_measures: int


BODY = (
    "## What we changed\n\nWe opened a **weekly clinic** run by two consultant midwives.\n\n"
    "* women are seen from 20 weeks\n* every woman gets a written plan\n\n"
    "Read the [NICE guidance](https://www.nice.org.uk/guidance/cg132)."
)


@pytest.fixture(scope="module")
def scenery(default_app: Flask) -> Scenery:
    with default_app.app_context():
        staff = new_staff()
        ids = {
            state: write_story(staff, state, f"{label} story {short_id()}", BODY)
            for state, label in [
                (StoryState.DRAFT, "A draft"),
                (StoryState.SUBMITTED, "A submitted"),
                (StoryState.RETURNED, "A returned"),
                (StoryState.PUBLISHED, "A published"),
            ]
        }
        demo = db.session.scalar(select(Story.id).where(Story.title == DEMO_WITH_MEASURES))
        assert demo is not None
        scenery = Scenery(
            staff=staff,
            draft=ids[StoryState.DRAFT],
            submitted=ids[StoryState.SUBMITTED],
            returned=ids[StoryState.RETURNED],
            published=ids[StoryState.PUBLISHED],
            demo_with_measures=demo,
        )
        db.session.remove()
    return scenery


@dataclass(frozen=True)
class SavedStory:
    state: StoryState
    title: str
    summary: str
    body: str
    pathways: set[Pathway]
    measures: dict[Measure, tuple[float, str, float, str]]
    review_comment: str


def saved(app: Flask, story_id: int) -> SavedStory:
    """The story as the database holds it now."""
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story is not None
        found = SavedStory(
            state=story.state,
            title=story.title,
            summary=story.summary,
            body=story.body,
            pathways=set(story.pathways),
            measures={
                m.measure: (
                    float(m.baseline_value),
                    m.baseline_period,
                    float(m.latest_value),
                    m.latest_period,
                )
                for m in story.measures
            },
            review_comment=story.review_comment or "",
        )
        db.session.remove()
    return found


def as_written(story: SavedStory) -> tuple[Any, ...]:
    """What the journey's author wrote, as saved."""
    return (story.title, story.summary, story.body.strip(), story.pathways, story.measures)


def eventually(read: Callable[[], SavedStory], done: Callable[[SavedStory], bool]) -> SavedStory:
    """Read until `done` holds (for up to 10 seconds); the last reading."""
    deadline = time.monotonic() + 10
    found = read()
    while not done(found) and time.monotonic() < deadline:
        time.sleep(0.2)
        found = read()
    return found


# --- Helpers -------------------------------------------------------------------------------------


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def success_banner(page: Page) -> Locator:
    return page.locator(".nhsuk-notification-banner--success")


def error_summary(page: Page) -> Locator:
    return page.locator(".nhsuk-error-summary")


def callout(page: Page) -> Locator:
    return page.locator(".nhsuk-warning-callout")


def user_content(page: Page) -> Locator:
    return page.locator("main .portal-user-content")


def posting(path: str) -> Callable[[Response], bool]:
    """Matches the answer to a POST to `path` (a full page or htmx)."""
    return lambda response: (
        response.request.method == "POST" and response.url.split("?")[0].endswith(path)
    )


# --- 1: the whole journey, with JavaScript on and off ------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What the journey's author writes."""

    word: str
    title: str
    summary: str
    body: str

    @classmethod
    def new(cls) -> Draft:
        word = f"kestrel{short_id()}"
        return cls(
            word=word,
            title=f"Midwife-led VBAC clinic {short_id()}",
            summary="A weekly clinic for women with a previous caesarean; more plan a vaginal birth.",
            body=(
                "## What we changed\n\n"
                f"We started a **weekly clinic** that we called the {word} clinic.\n\n"
                "* women are seen from 20 weeks\n"
                "* every woman leaves with a written plan\n"
            ),
        )


def assert_rendered(content: Locator) -> None:
    """The journey's Markdown as HTML: a heading, bold text, a list."""
    expect(content.get_by_role("heading", name="What we changed")).to_be_visible()
    expect(content.locator("h3")).to_have_text("What we changed")
    expect(content.locator("strong")).to_have_text("weekly clinic")
    expect(content.get_by_role("listitem")).to_have_count(2)
    expect(content.get_by_role("listitem").first).to_have_text("women are seen from 20 weeks")
    expect(content).not_to_contain_text("##")
    expect(content).not_to_contain_text("**")


def start_and_write(page: Page, base: str, draft: Draft, *, javascript: bool, app: Flask) -> int:
    """From "Your stories": start a story, write it, see it previewed, save it; its id."""
    page.locator("header").get_by_role("link", name="Your stories").click()
    expect(page).to_have_url(f"{base}/stories/mine")
    expect(heading(page)).to_have_text("Your trust's stories")
    page.get_by_role("button", name="Write a story").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/stories/\d+/edit$"))
    story_id = int(page.url.rsplit("/", 2)[-2])
    edit_url = page.url
    expect(heading(page)).to_have_text("Write your story")

    page.get_by_label("Title", exact=True).fill(draft.title)
    page.get_by_label("Summary", exact=True).fill(draft.summary)
    page.get_by_label("Your story", exact=True).fill(draft.body)
    page.get_by_label("Vaginal birth after caesarean (VBAC)").check()
    # The form shows a measure's boxes once it is added (a plain POST without JavaScript).
    expect(page.locator(".portal-measure-block")).to_have_count(0)
    page.get_by_label("Measure to add").select_option(label="VBAC rate")
    page.get_by_role("button", name="Add a measure").click()
    vbac = page.get_by_role("group", name="VBAC rate")
    expect(vbac.get_by_label("Baseline (%)")).to_be_focused()
    if not javascript:
        expect(page.get_by_label("Title", exact=True)).to_have_value(draft.title)
    vbac.get_by_label("Baseline (%)").fill("22.5")
    vbac.get_by_label("Baseline period").fill("April 2007 to March 2008")
    vbac.get_by_label("Latest (%)").fill("31%")
    vbac.get_by_label("Latest period").fill("April to September 2009")

    preview = page.locator("#story-preview")
    if javascript:
        # The preview follows the text as it is written, with no button pressed.
        assert_rendered(preview.locator(".portal-user-content"))
        # The draft saves itself after a pause in typing, and says so.
        status = page.locator("#autosave-status")
        expect(status).to_have_attribute("role", "status")
        expect(status).to_have_text(re.compile(r"^Draft saved at \d{1,2}(:\d\d)?[ap]m\.$"))
        # In the database, with nothing pressed (waiting, in case a slow machine saved an
        # earlier state first and the last one is still on its way).
        wanted = (
            draft.title,
            draft.summary,
            draft.body.strip(),
            {Pathway.VBAC},
            {Measure.VBAC: (22.5, "April 2007 to March 2008", 31.0, "April to September 2009")},
        )
        stored = eventually(lambda: saved(app, story_id), lambda found: as_written(found) == wanted)
        assert as_written(stored) == wanted
        # Reloaded, the edit page shows what was saved without "Save draft".
        page.reload()
        expect(page.get_by_label("Title", exact=True)).to_have_value(draft.title)
        expect(page.get_by_label("Your story", exact=True)).to_have_value(draft.body.strip())
        expect(page.get_by_label("Vaginal birth after caesarean (VBAC)")).to_be_checked()
        expect(
            page.get_by_role("group", name="VBAC rate").get_by_label("Latest (%)")
        ).to_have_value("31")
        # The preview of the saved text comes with the page.
        assert_rendered(preview.locator(".portal-user-content"))
        # The Preview button asks for the preview in place.
        page.evaluate("window.__marker = 1")
        with page.expect_response(posting(f"/stories/{story_id}/preview")) as answer:
            page.get_by_role("button", name="Preview").click()
        assert answer.value.request.headers.get("hx-request") == "true"
        assert_rendered(preview.locator(".portal-user-content"))
        assert page.evaluate("window.__marker") == 1
    else:
        expect(preview).to_contain_text("Select “Preview” to see how your story will look.")
        expect(page.locator("#autosave-status")).to_have_text("")
        with page.expect_response(posting(f"/stories/{story_id}/edit")) as answer:
            page.get_by_role("button", name="Preview").click()
        assert answer.value.status == 200
        assert "action=preview" in (answer.value.request.post_data or "")
        expect(page).to_have_url(edit_url)
        assert_rendered(preview.locator(".portal-user-content"))
        # What was typed is kept, and saved.
        expect(page.get_by_label("Title", exact=True)).to_have_value(draft.title)
        expect(page.get_by_label("Vaginal birth after caesarean (VBAC)")).to_be_checked()
        # A browser sends a textarea's lines ending in CR LF; htmx's autosave sends LF.
        assert saved(app, story_id).body.replace("\r\n", "\n").strip() == draft.body.strip()

    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(f"{base}/stories/{story_id}")
    expect(success_banner(page)).to_contain_text("Your draft has been saved.")
    expect(heading(page)).to_contain_text(draft.title)
    expect(callout(page)).to_contain_text("Draft – not public")
    assert_rendered(user_content(page))
    measures = page.locator("#measures + figure")
    expect(page.get_by_role("heading", name="What changed, in numbers")).to_be_visible()
    expect(measures).to_contain_text("VBAC rate")
    expect(measures).to_contain_text("22.5%")
    expect(measures).to_contain_text("31%")
    return story_id


def submit_story(page: Page, base: str, story_id: int, app: Flask, *, declare_first: bool) -> None:
    """From the story page: submit it for review, first (unless told) without the declaration."""
    callout(page).get_by_role("link", name="Submit for review").click()
    submit_url = f"{base}/stories/{story_id}/submit"
    expect(page).to_have_url(submit_url)
    expect(heading(page)).to_have_text("Submit your story for review")
    declaration = page.get_by_label(
        "I confirm this story holds no patient-identifiable information"
    )
    if not declare_first:
        before = saved(app, story_id).state
        with page.expect_response(posting(f"/stories/{story_id}/submit")) as answer:
            page.get_by_role("button", name="Submit for review").click()
        assert answer.value.status == 422
        expect(error_summary(page)).to_contain_text("There is a problem")
        link = error_summary(page).get_by_role(
            "link", name="Confirm that the story holds no patient-identifiable information"
        )
        expect(link).to_be_visible()
        expect(page.locator(".nhsuk-error-message")).to_contain_text(
            "Confirm that the story holds no patient-identifiable information"
        )
        expect(page).to_have_title(re.compile(r"^Error: "))
        link.click()
        expect(declaration).to_be_focused()
        assert saved(app, story_id).state is before
        problems_of(page).expect(r"status of 422")
    declaration.check()
    page.get_by_role("button", name="Submit for review").click()
    expect(page).to_have_url(f"{base}/stories/{story_id}")
    expect(success_banner(page)).to_contain_text(
        "Your story has been sent to NHS North East’s coordinator for review."
    )
    expect(callout(page)).to_contain_text("Waiting for review – not public")
    expect(page.get_by_role("link", name="Change story")).to_have_count(0)
    assert saved(app, story_id).state is StoryState.SUBMITTED


def open_in_queue(page: Page, base: str, title: str) -> None:
    page.locator("header").get_by_role("link", name="Review stories").click()
    expect(page).to_have_url(f"{base}/stories/review")
    expect(heading(page)).to_have_text("Review stories")
    waiting = page.locator("main ul.portal-story-list")
    expect(waiting.get_by_role("link", name=title, exact=True)).to_be_visible()
    waiting.get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/stories/\d+/review$"))
    expect(heading(page)).to_have_text(title)


def return_with_comment(page: Page, base: str, story_id: int, title: str, comment: str) -> None:
    open_in_queue(page, base, title)
    assert_rendered(user_content(page))
    comment_box = page.get_by_label("What should the trust change?")
    with page.expect_response(posting(f"/stories/{story_id}/return")) as answer:
        page.get_by_role("button", name="Return with comment").click()
    assert answer.value.status == 422
    expect(
        error_summary(page).get_by_role("link", name="Say what the trust should change")
    ).to_be_visible()
    expect(page.locator(".nhsuk-error-message")).to_contain_text("Say what the trust should change")
    problems_of(page).expect(r"status of 422")

    comment_box.fill(comment)
    page.get_by_role("button", name="Return with comment").click()
    expect(page).to_have_url(f"{base}/stories/review")
    expect(success_banner(page)).to_contain_text(
        "The story has been returned to its trust with your comment."
    )
    waiting = page.locator("main ul.portal-story-list")
    expect(waiting.get_by_role("link", name=title, exact=True)).to_have_count(0)
    reviewed = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )
    expect(reviewed).to_contain_text("Returned for changes")


def change_after_return(
    page: Page, base: str, story_id: int, draft: Draft, comment: str, added: str
) -> None:
    page.goto(f"{base}/stories/mine")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=draft.title))
    expect(row).to_contain_text("Returned for changes")
    expect(row).to_contain_text("Returned with a comment")
    row.get_by_role("link", name=draft.title).click()
    expect(page).to_have_url(f"{base}/stories/{story_id}")
    expect(callout(page)).to_contain_text("Returned for changes – not public")
    expect(callout(page).locator("blockquote")).to_have_text(comment)

    callout(page).get_by_role("link", name="Change story").click()
    expect(page).to_have_url(f"{base}/stories/{story_id}/edit")
    expect(page.locator(".nhsuk-inset-text")).to_contain_text(comment)
    body = page.get_by_label("Your story", exact=True)
    body.fill(f"{draft.body}\n{added}\n")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(f"{base}/stories/{story_id}")
    expect(success_banner(page)).to_contain_text("Your draft has been saved.")
    expect(user_content(page)).to_contain_text(added)


def publish_it(page: Page, base: str, story_id: int, title: str, added: str) -> None:
    open_in_queue(page, base, title)
    expect(user_content(page)).to_contain_text(added)
    with page.expect_response(posting(f"/stories/{story_id}/publish")) as answer:
        page.get_by_role("button", name="Publish story").click()
    assert answer.value.status == 422
    expect(
        error_summary(page).get_by_role(
            "link",
            name="Confirm that you have checked the story for patient-identifiable information",
        )
    ).to_be_visible()
    page.get_by_label(
        "I have checked this story and it holds no patient-identifiable information"
    ).check()
    page.get_by_role("button", name="Publish story").click()
    expect(page).to_have_url(f"{base}/stories/review")
    expect(success_banner(page)).to_contain_text("The story is published.")
    reviewed = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )
    expect(reviewed).to_contain_text("Published")


def find_by_searching(page: Page, base: str, draft: Draft, *, javascript: bool) -> None:
    page.goto(f"{base}/stories")
    expect(heading(page)).to_have_text("Improvement stories")
    results = page.locator("#story-results")
    expect(results.get_by_role("link", name=draft.title, exact=True)).to_be_visible()
    search = page.get_by_label("Search stories")
    if javascript:
        page.evaluate("window.__marker = 1")
        with page.expect_request(lambda request: f"q={draft.word}" in request.url) as sent:
            search.press_sequentially(draft.word, delay=20)
        assert sent.value.headers.get("hx-request") == "true"
        expect(page).to_have_url(re.compile(rf"[?&]q={draft.word}(&|$)"))
        status = page.locator("#story-results-status")
        expect(status).to_have_attribute("role", "status")
        expect(status).to_have_text(f"1 story matching “{draft.word}”")
        # Only the results changed.
        assert page.evaluate("window.__marker") == 1
        expect(page.locator("#story-results")).to_have_count(1)
        expect(results.locator(".portal-story-list > li")).to_have_count(1)
        # Back shows the whole list again, with an empty search box above it.
        page.go_back()
        expect(page).to_have_url(f"{base}/stories")
        expect(search).to_have_value("")
        expect(results.get_by_role("link", name=draft.title, exact=True)).to_be_visible()
        expect(results.locator(".portal-story-list > li").nth(1)).to_be_visible()  # not only it
        page.go_forward()
        expect(page).to_have_url(re.compile(rf"[?&]q={draft.word}(&|$)"))
        expect(search).to_have_value(draft.word)
    else:
        search.fill(draft.word)
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(rf"[?&]q={draft.word}(&|$)"))
        expect(search).to_have_value(draft.word)
    expect(results.get_by_role("heading", level=2).first).to_have_text(
        f"1 story matching “{draft.word}”"
    )
    expect(results.locator(".portal-story-list > li")).to_have_count(1)
    results.get_by_role("link", name=draft.title, exact=True).click()
    expect(heading(page)).to_have_text(draft.title)
    expect(callout(page)).to_have_count(0)
    expect(user_content(page)).to_contain_text(draft.word)


@javascript_on_and_off
def test_a_story_is_written_returned_changed_published_and_found(
    new_page: NewPage,
    live_server: str,
    default_app: Flask,
    make_staff: Callable[[], str],
    javascript: bool,
) -> None:
    draft = Draft.new()
    staff = new_page(javascript=javascript)
    sign_in(staff, live_server, make_staff(), PASSWORD)
    story_id = start_and_write(staff, live_server, draft, javascript=javascript, app=default_app)
    submit_story(staff, live_server, story_id, default_app, declare_first=False)

    coordinator = new_page(javascript=javascript)
    sign_in(coordinator, live_server, COORDINATOR, DEMO_PASSWORD)
    comment = f"Please say how many women the clinic saw ({short_id()})."
    return_with_comment(coordinator, live_server, story_id, draft.title, comment)
    stored = saved(default_app, story_id)
    assert (stored.state, stored.review_comment) == (StoryState.RETURNED, comment)

    added = "The clinic saw 212 women in its first year."
    change_after_return(staff, live_server, story_id, draft, comment, added)
    submit_story(staff, live_server, story_id, default_app, declare_first=True)

    coordinator.goto(f"{live_server}/account")
    publish_it(coordinator, live_server, story_id, draft.title, added)
    assert saved(default_app, story_id).state is StoryState.PUBLISHED

    anyone = new_page(javascript=javascript)
    find_by_searching(anyone, live_server, draft, javascript=javascript)

    if javascript:
        for page in (staff, coordinator, anyone):
            problems_of(page).assert_none()


# --- 2: accessibility and screenshots ----------------------------------------------------------

Scene = Callable[[Page, str, Scenery], None]


def _goto(path: str, who: str | None = None) -> Scene:
    """Open `path` (formatted with the scenery's ids) as "staff", "coordinator" or anyone."""

    def scene(page: Page, base: str, scenery: Scenery) -> None:
        if who == "staff":
            sign_in(page, base, scenery.staff, PASSWORD)
        elif who == "coordinator":
            sign_in(page, base, COORDINATOR, DEMO_PASSWORD)
        response = page.goto(f"{base}{path.format(**vars(scenery))}")
        assert response is not None and response.status == 200, path

    return scene


def _edit_page_with_errors(page: Page, base: str, scenery: Scenery) -> None:
    _goto("/stories/{draft}/edit", "staff")(page, base, scenery)
    page.get_by_role("group", name="VBAC rate").get_by_label("Baseline (%)").fill("abc")
    page.get_by_role("button", name="Save draft").click()
    expect(error_summary(page)).to_contain_text(
        "VBAC rate: Baseline (%) must be a percentage from 0 to 100, like 24.5"
    )
    message = page.locator(".nhsuk-error-message")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("Baseline (%) must be a percentage from 0 to 100, like 24.5")
    expect(page.get_by_role("group", name="VBAC rate").get_by_label("Baseline (%)")).to_have_value(
        "abc"
    )
    problems_of(page).expect(r"status of 422")


def _submit_page_with_errors(page: Page, base: str, scenery: Scenery) -> None:
    _goto("/stories/{draft}/submit", "staff")(page, base, scenery)
    page.get_by_role("button", name="Submit for review").click()
    expect(error_summary(page)).to_contain_text("Confirm that the story holds no")
    problems_of(page).expect(r"status of 422")


def _review_page_with_errors(page: Page, base: str, scenery: Scenery) -> None:
    _goto("/stories/{submitted}/review", "coordinator")(page, base, scenery)
    page.get_by_role("button", name="Return with comment").click()
    expect(error_summary(page)).to_contain_text("Say what the trust should change")
    problems_of(page).expect(r"status of 422")


SCENES: dict[str, Scene] = {
    "list": _goto("/stories"),
    "list-no-match": _goto("/stories?q=nomatchword"),
    "list-filtered": _goto(f"/stories?region={REGION}&pathway=vbac&measure=vbac"),
    "story-with-measures": _goto("/stories/{demo_with_measures}"),
    "story-published-staff": _goto("/stories/{published}", "staff"),
    "story-draft": _goto("/stories/{draft}", "staff"),
    "story-returned": _goto("/stories/{returned}", "staff"),
    "mine": _goto("/stories/mine", "staff"),
    "edit": _goto("/stories/{draft}/edit", "staff"),
    "edit-errors": _edit_page_with_errors,
    "edit-returned": _goto("/stories/{returned}/edit", "staff"),
    "submit": _goto("/stories/{draft}/submit", "staff"),
    "submit-errors": _submit_page_with_errors,
    "review-queue": _goto("/stories/review", "coordinator"),
    "review": _goto("/stories/{submitted}/review", "coordinator"),
    "review-errors": _review_page_with_errors,
    "withdraw": _goto("/stories/{published}/withdraw", "staff"),
}


@viewports
@pytest.mark.parametrize("scene", list(SCENES))
def test_stories_page_is_accessible(
    new_page: NewPage,
    live_server: str,
    scenery: Scenery,
    scene: str,
    viewport: dict[str, int],
) -> None:
    page = new_page(viewport=viewport)
    SCENES[scene](page, live_server, scenery)
    assert_accessible(page)
    problems_of(page).assert_none()
    # Every scene is checked for sideways scrolling; the main ones are kept to look at.
    size = "desktop" if viewport == DESKTOP else "phone"
    check_and_save(page, f"stories-{scene}-{size}")


def test_nothing_changes_when_the_checks_fail(
    new_page: NewPage, live_server: str, default_app: Flask, scenery: Scenery
) -> None:
    """The accessibility scenes that fail a form leave the stories as they were."""
    before = {i: saved(default_app, i) for i in (scenery.draft, scenery.submitted)}
    for scene in ("edit-errors", "submit-errors", "review-errors"):
        SCENES[scene](new_page(), live_server, scenery)
    assert {i: saved(default_app, i) for i in before} == before


def test_the_measures_chart_lines_up_with_its_numbers(
    new_page: NewPage, live_server: str, scenery: Scenery
) -> None:
    """The bars start where their key does, and the numbers are as big as the story's text."""
    for viewport in (DESKTOP, PHONE):
        page = new_page(viewport=viewport)
        page.goto(f"{live_server}/stories/{scenery.demo_with_measures}")
        # The story shows its trust's chart; the rates typed into it are one click away.
        page.get_by_text("Rates typed into the story by the trust").click()
        figure = page.locator("figure.portal-measure").first
        bar = figure.locator(".portal-measure__before").bounding_box()
        key = figure.locator(".portal-measure__key--before").bounding_box()
        assert bar is not None and key is not None
        assert abs(bar["x"] - key["x"]) < 1, (bar, key)
        sizes = page.evaluate(
            """() => [".portal-user-content p", ".portal-measure__facts dt"].map(
                 (selector) => getComputedStyle(document.querySelector(selector)).fontSize)"""
        )
        assert sizes[0] == sizes[1], sizes
        expect(figure.locator(".portal-measure__facts")).to_contain_text(
            "Baseline, April 2007 to March 2008"
        )
        expect(figure.locator(".portal-measure__facts")).to_contain_text("Up 9.5 percentage points")


def test_demo_stories_are_marked_in_every_list(new_page: NewPage, live_server: str) -> None:
    """Demo data is marked wherever it is shown, once a list: the writers' list and the
    reviewers' lists say so above the stories; a story's own page tags it by its title."""
    staff = new_page(viewport=PHONE)
    sign_in(staff, live_server, "staff.thameside@example.org", DEMO_PASSWORD)
    staff.goto(f"{live_server}/stories/mine")
    expect(staff.locator(".portal-demo-notice")).to_have_text(
        re.compile(r"Demo\s+The stories on this page are invented demo data\.")
    )
    row = staff.get_by_role("row").filter(
        has=staff.get_by_role("link", name="A consultant on the labour ward at night")
    )
    expect(row.locator(".portal-demo-tag")).to_have_count(0)
    check_and_save(staff, "stories-mine-demo-phone")

    reviewer = new_page()
    sign_in(reviewer, live_server, "coordinator.london@example.org", DEMO_PASSWORD)
    reviewer.goto(f"{live_server}/stories/review")
    waiting = reviewer.locator("main ul.portal-story-list > li").filter(
        has_text="Reviewing every elective caesarean for maternal request"
    )
    expect(reviewer.locator("main .portal-demo-notice")).to_have_count(1)
    expect(reviewer.locator("main .portal-demo-tag")).to_have_count(1)  # the notice's
    expect(waiting).to_be_visible()
    waiting.get_by_role("link").click()
    expect(heading(reviewer).locator(".portal-demo-tag")).to_have_text("Demo")
    problems_of(staff).assert_none()
    problems_of(reviewer).assert_none()


# --- More of autosave: it says when it could not save -------------------------------------------


def test_autosave_says_when_the_changes_are_not_valid(
    page: Page, live_server: str, default_app: Flask, make_staff: Callable[[], str]
) -> None:
    staff = make_staff()
    with default_app.app_context():
        story_id = write_story(staff, StoryState.DRAFT, f"Autosave {short_id()}", BODY)
        db.session.remove()
    before = saved(default_app, story_id)
    sign_in(page, live_server, staff, PASSWORD)
    page.goto(f"{live_server}/stories/{story_id}/edit")
    page.get_by_label("Title", exact=True).fill(f"Changed {short_id()}")
    page.get_by_role("group", name="VBAC rate").get_by_label("Latest (%)").fill("120")
    with page.expect_response(posting(f"/stories/{story_id}/autosave")) as answer:
        pass
    assert answer.value.status == 200
    expect(page.locator("#autosave-status")).to_have_text(
        "Your latest changes are not saved yet: select “Save draft” to see what to fix."
    )
    assert saved(default_app, story_id) == before

    # Put right, the changes save themselves.
    page.get_by_role("group", name="VBAC rate").get_by_label("Latest (%)").fill("30.5")
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"^Draft saved at "))
    stored = eventually(
        lambda: saved(default_app, story_id),
        lambda found: found.measures[Measure.VBAC][2] == 30.5,
    )
    assert stored.measures[Measure.VBAC][2] == 30.5
    assert stored.title.startswith("Changed ")
    problems_of(page).assert_none()


def test_autosave_does_not_change_a_story_sent_for_review_meanwhile(
    new_page: NewPage, live_server: str, default_app: Flask, make_staff: Callable[[], str]
) -> None:
    """A second tab (or a colleague) submitted the story: the open edit page can no longer save."""
    staff = make_staff()
    with default_app.app_context():
        story_id = write_story(staff, StoryState.DRAFT, f"Two tabs {short_id()}", BODY)
        db.session.remove()
    page = new_page()
    sign_in(page, live_server, staff, PASSWORD)
    page.goto(f"{live_server}/stories/{story_id}/edit")
    expect(heading(page)).to_have_text("Write your story")

    other = new_page()
    sign_in(other, live_server, staff, PASSWORD)
    other.goto(f"{live_server}/stories/{story_id}/submit")
    other.get_by_label("I confirm this story holds no patient-identifiable information").check()
    other.get_by_role("button", name="Submit for review").click()
    expect(callout(other)).to_contain_text("Waiting for review")
    before = saved(default_app, story_id)

    page.get_by_label("Summary", exact=True).fill("Changed after it was submitted.")
    expect(page.locator("#autosave-status")).to_have_text(
        "Not saved: this story is waiting for review now."
    )
    assert saved(default_app, story_id) == before
    # "Save draft" says so too, on the story's page.
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(f"{live_server}/stories/{story_id}")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "This story is waiting for review, so it cannot be changed now."
    )
    assert saved(default_app, story_id) == before
    problems_of(page).assert_none()


# --- 3: what people write runs no script and no htmx --------------------------------------------

PAYLOADS = (
    "<img src=x onerror=alert(1)>\n\n"
    "[click](javascript:alert(1))\n\n"
    "[also click](JaVaScRiPt:alert(1) 'title')\n\n"
    '<a hx-get="/sign-out" hx-trigger="load">x</a>\n\n'
    '<div data-hx-post="/x" data-hx-trigger="load">y</div>\n\n'
    "<script>alert(1)</script>\n\n"
    '<svg onload="alert(1)"></svg>\n\n'
    "[ok](https://example.org/safe)\n"
)


def watch_for_harm(page: Page) -> tuple[list[str], list[str]]:
    """Record dialogs (dismissed) and the requests that a payload could send."""
    dialogs: list[str] = []
    suspicious: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_request(request: Request) -> None:
        if request.url.split("?")[0].rstrip("/").endswith(("/sign-out", "/x")):
            suspicious.append(f"{request.method} {request.url}")

    page.on("dialog", on_dialog)
    page.on("request", on_request)
    return dialogs, suspicious


def assert_inert(content: Locator) -> None:
    expect(content).to_have_attribute("hx-disable", "")
    assert content.locator("img, script, svg, iframe, [onerror], [onload]").count() == 0
    attributes = content.evaluate(
        """(root) => [...root.querySelectorAll("*")].flatMap(
             (element) => [...element.attributes].map((a) => a.name))"""
    )
    assert not [a for a in attributes if a.startswith(("hx-", "data-hx-", "on"))], attributes
    hrefs = content.locator("a").evaluate_all("(links) => links.map((a) => a.href)")
    assert hrefs == ["https://example.org/safe"], hrefs
    # The payloads are shown as the text they are.
    expect(content).to_contain_text("<img src=x onerror=alert(1)>")
    expect(content).to_contain_text('<a hx-get="/sign-out" hx-trigger="load">x</a>')


def test_markdown_written_by_people_runs_nothing(
    new_page: NewPage, live_server: str, default_app: Flask, make_staff: Callable[[], str]
) -> None:
    staff = make_staff()
    title = f"<img src=x onerror=alert(2)> Safe story {short_id()}"
    with default_app.app_context():
        story_id = write_story(staff, StoryState.PUBLISHED, title, PAYLOADS)
        draft_id = write_story(staff, StoryState.DRAFT, f"Draft {short_id()}", PAYLOADS)
        db.session.remove()

    # A reader of the published story (signed in, so that a request to sign out would matter).
    page = new_page()
    dialogs, suspicious = watch_for_harm(page)
    sign_in(page, live_server, staff, PASSWORD)
    page.goto(f"{live_server}/stories/{story_id}")
    expect(heading(page)).to_contain_text("Safe story")
    expect(heading(page)).to_contain_text("<img src=x onerror=alert(2)>")
    assert_inert(user_content(page))
    # Links of the content that are not links do nothing when their text is clicked.
    user_content(page).get_by_text("[click](javascript:alert(1))").click()
    settled(page)  # any "load" trigger or handler has had its chance to fire
    page.goto(f"{live_server}/stories?q=Safe+story")
    expect(page.locator("#story-results")).to_contain_text("Safe story")
    settled(page)

    # The writer's live preview of the same text, on the edit page.
    page.goto(f"{live_server}/stories/{draft_id}/edit")
    preview = page.locator("#story-preview .portal-user-content")
    assert_inert(preview)
    with page.expect_response(posting(f"/stories/{draft_id}/preview")):
        page.get_by_label("Your story", exact=True).press("End")
        page.get_by_label("Your story", exact=True).press_sequentially(
            " <img src=y onerror=alert(3)>"
        )
    assert_inert(preview)
    settled(page)

    assert dialogs == []
    assert suspicious == []
    problems_of(page).assert_none()
    # Still signed in: nothing signed the reader out.
    page.goto(f"{live_server}/account")
    expect(heading(page)).to_have_text("Your account")


# --- 4: the form on a phone: measures one at a time, the status in view ------------------------


#: Where the focused field of the story form is, and where the bar of buttons is (or null).
FOCUS_AND_BAR = """() => {
  const focused = document.activeElement;
  if (!focused || !focused.closest("form") || focused.closest(".portal-form-actions")) {
    return null;
  }
  const box = focused.getBoundingClientRect();
  const bar = document.querySelector(".portal-form-actions").getBoundingClientRect();
  return {
    top: box.top, bottom: box.bottom, barTop: bar.top, barBottom: bar.bottom,
    field: focused.outerHTML.slice(0, 120),
  };
}"""


def in_view(page: Page, locator: Locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_on_a_phone_measures_are_added_one_at_a_time_and_the_status_stays_in_view(
    new_page: NewPage, live_server: str, default_app: Flask, make_staff: Callable[[], str]
) -> None:
    staff = make_staff()
    with default_app.app_context():
        story_id = write_story(
            staff, StoryState.DRAFT, f"On a phone {short_id()}", BODY, measures=[]
        )
        db.session.remove()
    page = new_page(viewport=PHONE)
    sign_in(page, live_server, staff, PASSWORD)
    page.goto(f"{live_server}/stories/{story_id}/edit")
    blocks = page.locator(".portal-measure-block")
    expect(blocks).to_have_count(0)
    for measure in Measure:
        expect(page.get_by_role("group", name=measure.label)).to_have_count(0)

    # One block per "Add a measure", swapped in by htmx (the page is not reloaded).
    page.evaluate("window.__marker = 1")
    with page.expect_response(posting(f"/stories/{story_id}/edit")) as answer:
        page.get_by_role("button", name="Add a measure").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(blocks).to_have_count(1)
    total = page.get_by_role("group", name="Total caesarean section rate")
    expect(total.get_by_label("Baseline (%)")).to_be_focused()
    total.get_by_label("Baseline (%)").fill("28")
    page.get_by_label("Measure to add").select_option(label="VBAC rate")
    page.get_by_role("button", name="Add a measure").click()
    expect(blocks).to_have_count(2)
    expect(total.get_by_label("Baseline (%)")).to_have_value("28")  # kept
    expect(page.locator("#measures-status")).to_have_text("VBAC rate added.")
    assert page.evaluate("window.__marker") == 1
    # The page stays accessible with the blocks in it.
    assert_accessible(page)

    # Removed again: the block goes, and the draft saves itself without it.
    total.get_by_label("Baseline period").fill("2007–08")
    total.get_by_label("Latest (%)").fill("25")
    total.get_by_label("Latest period").fill("2009–10")
    vbac = page.get_by_role("group", name="VBAC rate")
    vbac.get_by_label("Baseline (%)").fill("21.5")
    vbac.get_by_label("Baseline period").fill("2007–08")
    vbac.get_by_label("Latest (%)").fill("30")
    vbac.get_by_label("Latest period").fill("2009–10")
    stored = eventually(
        lambda: saved(default_app, story_id), lambda found: Measure.VBAC in found.measures
    )
    assert stored.measures[Measure.VBAC] == (21.5, "2007–08", 30.0, "2009–10")
    page.get_by_role("button", name="Remove VBAC rate").click()
    expect(blocks).to_have_count(1)
    expect(page.locator("#measures-status")).to_have_text("VBAC rate removed.")
    stored = eventually(
        lambda: saved(default_app, story_id), lambda found: Measure.VBAC not in found.measures
    )
    assert stored.measures == {Measure.TOTAL_CS: (28.0, "2007–08", 25.0, "2009–10")}

    # Writing the story: "Save draft" and the status stay at the bottom of the screen.
    body = page.get_by_label("Your story", exact=True)
    body.click()
    body.press("End")
    body.press_sequentially(" More words.")
    status = page.locator("#autosave-status")
    expect(status).to_have_text(re.compile(r"^Draft saved at "))
    expect(body).to_be_focused()
    assert in_view(page, status)
    assert in_view(page, page.get_by_role("button", name="Save draft"))
    bar = page.locator(".portal-form-actions")
    assert bar.evaluate("(bar) => getComputedStyle(bar).position") == "sticky"
    # Beside the text the copy is not shown on a phone: the bar shows the status.
    expect(page.locator(".portal-autosave--near-text")).to_be_hidden()

    # A field reached with the keyboard is never under the bar (WCAG 2.2 focus not obscured).
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_label("Title", exact=True).focus()
    reached = 0
    for _ in range(60):
        page.keyboard.press("Tab")
        where = page.evaluate(FOCUS_AND_BAR)
        if where is None:
            continue  # outside the form's fields (the bar itself, the footer)
        reached += 1
        apart = where["bottom"] <= where["barTop"] + 1 or where["top"] >= where["barBottom"]
        assert apart, where
    assert reached > 20  # the fields and buttons of the whole form
    problems_of(page).assert_none()


def test_without_javascript_a_measure_is_added_by_posting_the_form(
    new_page: NewPage, live_server: str, default_app: Flask, make_staff: Callable[[], str]
) -> None:
    staff = make_staff()
    with default_app.app_context():
        story_id = write_story(
            staff, StoryState.DRAFT, f"No script {short_id()}", BODY, measures=[]
        )
        db.session.remove()
    before = saved(default_app, story_id)
    page = new_page(viewport=PHONE, javascript=False)
    sign_in(page, live_server, staff, PASSWORD)
    page.goto(f"{live_server}/stories/{story_id}/edit")
    expect(page.locator(".portal-measure-block")).to_have_count(0)
    page.get_by_label("Title", exact=True).fill("Typed before adding")
    page.get_by_label("Measure to add").select_option(label="Normal birth rate")
    with page.expect_response(posting(f"/stories/{story_id}/edit")) as answer:
        page.get_by_role("button", name="Add a measure").click()
    assert answer.value.status == 200
    assert "add_measure=1" in (answer.value.request.post_data or "")
    expect(page).to_have_url(f"{live_server}/stories/{story_id}/edit")
    expect(page.locator(".portal-measure-block")).to_have_count(1)
    normal = page.get_by_role("group", name="Normal birth rate")
    expect(normal.get_by_label("Baseline (%)")).to_be_focused()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Typed before adding")
    expect(error_summary(page)).to_have_count(0)
    assert saved(default_app, story_id) == before  # nothing saved yet

    normal.get_by_label("Baseline (%)").fill("40")
    normal.get_by_label("Baseline period").fill("2007–08")
    normal.get_by_label("Latest (%)").fill("45.5")
    normal.get_by_label("Latest period").fill("2009–10")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(f"{live_server}/stories/{story_id}")
    stored = saved(default_app, story_id)
    assert stored.title == "Typed before adding"
    assert stored.measures == {Measure.NORMAL_BIRTH: (40.0, "2007–08", 45.5, "2009–10")}


def test_a_story_cites_characteristics_and_only_signed_in_readers_see_their_wording(
    new_page: NewPage, live_server: str, default_app: Flask, make_staff: Callable[[], str]
) -> None:
    staff = make_staff()
    with default_app.app_context():
        story_id = write_story(staff, StoryState.DRAFT, f"Citing {short_id()}", BODY)
        db.session.remove()
    page = new_page(viewport=PHONE)
    sign_in(page, live_server, staff, PASSWORD)
    page.goto(f"{live_server}/stories/{story_id}/edit")
    field = page.get_by_role("group", name="Characteristics this story improved (optional)")
    field.get_by_text("First pregnancy and labour", exact=True).click()  # opens its details
    first = field.locator("input[value='first-pregnancy:FP1']")
    first.check()
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(f"{live_server}/stories/{story_id}")
    listed = page.locator("#characteristics + ul")
    expect(listed).to_contain_text("First pregnancy and labour — FP1: Placeholder characteristic")
    check_and_save(page, "stories-characteristics-signed-in-phone")

    with default_app.app_context():
        story = db.session.get(Story, story_id)
        assert story is not None
        submit(story, actor=person(staff))
        publish(story, actor=person(COORDINATOR))
        db.session.remove()
    anyone = new_page(viewport=PHONE)
    anyone.goto(f"{live_server}/stories/{story_id}")
    expect(anyone.locator("#characteristics + ul")).to_have_text("First pregnancy and labour — FP1")
    expect(anyone.locator("main")).not_to_contain_text("Placeholder characteristic")
    assert_accessible(anyone)
    check_and_save(anyone, "stories-characteristics-anonymous-phone")
    problems_of(page).assert_none()
    problems_of(anyone).assert_none()
