"""A story cites the toolkit characteristics it improved: the form offers the current
framework's (none before one is loaded), refuses any other, and the story's page shows each one's
wording to signed-in people only; visitors see its pathway and code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from portal.extensions import db
from portal.stories.models import Pathway, Story
from portal.stories.service import publish, save_draft, submit
from tests.assessments.helpers import framework_rows, load_framework
from tests.client import PortalClient
from tests.factories import draft, make_trust, make_user
from tests.stories.helpers import form_data, values
from tests.web.helpers import HTMX_OR_NOT, field_error

SAVED_TITLE = "A VBAC clinic run by midwives"
VB1 = "Invented VBAC characteristic one"
VB2 = "Invented VBAC characteristic two"
FP1 = "Invented first pregnancy characteristic"


@pytest.fixture
def people(app: Flask) -> dict[str, Any]:
    trust = make_trust("Riverside NHS Trust", "RS1", "north-east")
    return {
        "author": make_user("trust", "owner@example.org", trust=trust),
        "coordinator": make_user("coordinator", "ne@example.org", region_slug="north-east"),
    }


@pytest.fixture
def framework(app: Flask) -> None:
    load_framework()  # VB1 and VB2 (VBAC), FP1 (first pregnancy)


def writer(app: Flask, people: dict[str, Any]) -> PortalClient:
    client = app.test_client()
    client.sign_in(people["author"])
    return client


def stored(story: Story) -> Story:
    db.session.expire_all()
    found = db.session.get(Story, story.id)
    assert found is not None
    return found


def cited(story: Story) -> set[tuple[Pathway, str]]:
    return {(c.pathway, c.characteristic_code) for c in stored(story).characteristic_links}


def citing(author: Any, *pairs: tuple[Pathway, str], **overrides: Any) -> Story:
    story = draft(author, **overrides)
    return save_draft(story, values(characteristics=list(pairs), **overrides), actor=author)


def section(page: str) -> str:
    """The story page's list of characteristics."""
    match = re.search(r'<h2 id="characteristics">.*?</ul>', page, re.S)
    assert match, "no characteristics on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_the_form_offers_the_current_frameworks_characteristics_by_pathway(
    app: Flask, people: dict, framework: None
) -> None:
    story = citing(people["author"], (Pathway.VBAC, "VB2"))
    page = writer(app, people).get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert "Characteristics this story improved (optional)" in page
    # Pathways in the toolkit's order (first pregnancy before VBAC), each behind its own details.
    summaries = re.findall(r'<span class="nhsuk-details__summary-text">\s*(.*?)\s*</span>', page)
    assert summaries == [
        "First pregnancy and labour",
        "Vaginal birth after caesarean (VBAC) (1 selected)",
    ]
    assert re.search(r"<details[^>]*open>\s*<summary[^>]*>\s*<span[^>]*>\s*Vaginal", page)
    for key, wording in (("first-pregnancy:FP1", FP1), ("vbac:VB1", VB1), ("vbac:VB2", VB2)):
        assert f'value="{key}"' in page and wording in page
    assert re.search(r'value="vbac:VB2"\s+checked', page)
    assert not re.search(r'value="vbac:VB1"\s+checked', page)


def test_without_a_framework_the_form_has_no_characteristics(app: Flask, people: dict) -> None:
    story = draft(people["author"])
    client = writer(app, people)
    page = client.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert "Characteristics this story improved" not in page
    assert 'name="characteristics"' not in page
    # Whatever is sent for them is not used.
    data = form_data(characteristics=["vbac:VB1"], action="save")
    assert client.post_form(f"/stories/{story.id}/edit", data).status_code == 303
    assert cited(story) == set()


@HTMX_OR_NOT
def test_saving_stores_the_characteristics_chosen(
    app: Flask, people: dict, framework: None, htmx: bool
) -> None:
    story = draft(people["author"])
    client = writer(app, people)
    data = form_data(characteristics=["vbac:VB1", "first-pregnancy:FP1"], action="save")
    response = client.post_form(f"/stories/{story.id}/edit", data, htmx)
    assert response.status_code == (204 if htmx else 303)
    assert cited(story) == {(Pathway.VBAC, "VB1"), (Pathway.FIRST_PREGNANCY, "FP1")}

    # Unticked, one goes; the other stays.
    data = form_data(characteristics=["vbac:VB1"], action="save")
    assert client.post_form(f"/stories/{story.id}/edit", data, htmx).status_code in (204, 303)
    assert cited(story) == {(Pathway.VBAC, "VB1")}


def test_autosave_stores_them_too(app: Flask, people: dict, framework: None) -> None:
    story = draft(people["author"])
    data = form_data(characteristics=["vbac:VB2", "vbac:VB2"])  # sent twice: kept once
    response = writer(app, people).post_form(f"/stories/{story.id}/autosave", data, True)
    assert response.get_data(as_text=True).startswith("Draft saved at ")
    assert cited(story) == {(Pathway.VBAC, "VB2")}


@HTMX_OR_NOT
@pytest.mark.parametrize(
    "sent",
    [
        "vbac:VB9",  # no such code
        "first-pregnancy:VB1",  # a code of another pathway
        "vbac:vb1",  # codes are exact
        "made-up:VB1",
        "VB1",
    ],
)
def test_a_characteristic_not_in_the_current_framework_is_refused_and_nothing_is_lost(
    app: Flask, people: dict, framework: None, htmx: bool, sent: str
) -> None:
    story = citing(people["author"], (Pathway.VBAC, "VB2"))
    data = form_data(
        title="Changed title",
        characteristics=["vbac:VB1", sent],
        measures_shown=["vbac"],
        action="save",
        **{"measure_vbac-baseline_value": "21.5", "measure_vbac-baseline_period": "2007–08"},
    )
    response = writer(app, people).post_form(f"/stories/{story.id}/edit", data, htmx)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = "Select characteristics from the list: one you sent is not in the current toolkit"
    assert field_error(page, "characteristics") == message
    assert 'href="#characteristics-1"' in page  # the error summary links to the field
    assert 'value="Changed title"' in page
    assert 'value="21.5"' in page and 'value="2007–08"' in page
    assert re.search(r'value="vbac:VB1"\s+checked', page)  # the good choice stays ticked
    # Nothing changed.
    assert stored(story).title == SAVED_TITLE
    assert cited(story) == {(Pathway.VBAC, "VB2")}


def test_autosave_does_not_save_an_unknown_characteristic(
    app: Flask, people: dict, framework: None
) -> None:
    story = draft(people["author"])
    data = form_data(title="Changed", characteristics=["vbac:VB9"])
    response = writer(app, people).post_form(f"/stories/{story.id}/autosave", data, True)
    assert "not saved yet" in response.get_data(as_text=True)
    assert stored(story).title == SAVED_TITLE and cited(story) == set()


def test_signed_in_readers_see_the_wording_and_visitors_the_pathway_and_code(
    app: Flask, people: dict, framework: None
) -> None:
    story = citing(people["author"], (Pathway.VBAC, "VB1"), (Pathway.FIRST_PREGNANCY, "FP1"))
    submit(story, actor=people["author"])
    publish(story, actor=people["coordinator"])

    anonymous = app.test_client().get(f"/stories/{story.id}").get_data(as_text=True)
    assert section(anonymous) == (
        " Characteristics this story improved First pregnancy and labour — FP1 "
        "Vaginal birth after caesarean (VBAC) — VB1 "
    )
    for wording in (VB1, FP1):
        assert wording not in anonymous
    assert "sign in</a> to read it" in anonymous

    for who in ("author", "coordinator"):
        client = app.test_client()
        client.sign_in(people[who])
        page = client.get(f"/stories/{story.id}").get_data(as_text=True)
        assert section(page) == (
            f" Characteristics this story improved First pregnancy and labour — FP1: {FP1} "
            f"Vaginal birth after caesarean (VBAC) — VB1: {VB1} "
        )
        assert "reproduced here for the NHS and its networks only" in page


def test_the_reviewer_sees_the_wording_on_the_review_page(
    app: Flask, people: dict, framework: None
) -> None:
    story = citing(people["author"], (Pathway.VBAC, "VB2"))
    submit(story, actor=people["author"])
    client = app.test_client()
    client.sign_in(people["coordinator"])
    page = client.get(f"/stories/{story.id}/review").get_data(as_text=True)
    assert f"Vaginal birth after caesarean (VBAC) — VB2: {VB2}" in section(page)


def test_a_code_a_later_version_left_out_is_shown_by_its_code_and_kept_when_saving(
    app: Flask, people: dict, framework: None
) -> None:
    story = citing(people["author"], (Pathway.VBAC, "VB2"), (Pathway.VBAC, "VB1"))
    load_framework(framework_rows([("vbac", "VB1", "VBAC characteristic one, reworded")]))
    client = writer(app, people)

    page = client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert section(page) == (
        " Characteristics this story improved "
        "Vaginal birth after caesarean (VBAC) — VB1: VBAC characteristic one, reworded "
        "Vaginal birth after caesarean (VBAC) — VB2 (no longer in the current toolkit) "
    )

    form = client.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert re.search(r'value="vbac:VB2"\s+checked', form)
    assert "VB2 (no longer in the current toolkit)" in form
    assert "first-pregnancy:FP1" not in form  # left out of the current version: not offered
    data = form_data(characteristics=["vbac:VB1", "vbac:VB2"], action="save")
    assert client.post_form(f"/stories/{story.id}/edit", data).status_code == 303
    assert cited(story) == {(Pathway.VBAC, "VB1"), (Pathway.VBAC, "VB2")}
    # Once unticked it cannot come back: the current version does not hold it.
    data = form_data(characteristics=["vbac:VB1"], action="save")
    assert client.post_form(f"/stories/{story.id}/edit", data).status_code == 303
    data = form_data(characteristics=["vbac:VB1", "vbac:VB2"], action="save")
    assert client.post_form(f"/stories/{story.id}/edit", data).status_code == 422


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_wording_is_read_in_one_statement_however_many_are_cited(
    app: Flask, people: dict, framework: None
) -> None:
    one = citing(people["author"], (Pathway.VBAC, "VB1"))
    three = citing(
        people["author"],
        (Pathway.VBAC, "VB1"),
        (Pathway.VBAC, "VB2"),
        (Pathway.FIRST_PREGNANCY, "FP1"),
    )
    client = writer(app, people)
    counts = []
    for story in (one, three):
        client.get(f"/stories/{story.id}")  # warm up
        with counting() as statements:
            page = client.get(f"/stories/{story.id}").get_data(as_text=True)
        assert VB1 in page
        counts.append(len(statements))
        assert sum("toolkit_characteristics" in s for s in statements) == 1
    assert counts[0] == counts[1]
