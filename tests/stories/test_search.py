"""Full-text search: the same stories, in the same order, on SQLite (FTS5) and PostgreSQL.

CI runs this file against both databases; each run asserts the exact expected answer, so the two
databases agree with each other by agreeing with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from portal.stories.models import Pathway, StoryState
from portal.stories.search import search_terms
from portal.stories.service import StoryFilters, published_stories
from tests.client import PortalClient
from tests.factories import make_trust, stored_story

START = datetime(2009, 1, 1, 12, tzinfo=UTC)

# (title, summary, body); published one day apart, the first oldest.
CORPUS = [
    ("Birth pools in every room", "Water in labour.", "We bought six pools."),
    ("A VBAC clinic", "Women who had a caesarean before.", "Midwives run it; births rose."),
    (
        "Consultants at night",
        "Decisions reviewed each morning.",
        "Fewer caesarean-section decisions out of hours.",
    ),
    ("Staying at home in early labour", "A phone line.", "First births: fewer early admissions."),
    ("Robson groups on the noticeboard", "Monthly audit.", "Group 5 is where we acted."),
    (
        "Leadership for normal birth",
        "A philosophy shared by all.",
        "Normal birthing as the default.",
    ),
    ("Induction at 41 weeks", "When to offer it.", "Rates of caesarean after induction."),
    ("Continuous support", "One midwife, whole labour.", "The women's stories said it best."),
]


@pytest.fixture
def corpus(app: Flask) -> list[int]:
    trust = make_trust("Riverside NHS Trust", "RS1", "north-east")
    ids = []
    for day, (title, summary, body) in enumerate(CORPUS):
        story = stored_story(
            trust, title=title, summary=summary, body=body, published_at=START + timedelta(days=day)
        )
        ids.append(story.id)
    # Not published: never found, whatever they say.
    for state in (
        StoryState.DRAFT,
        StoryState.SUBMITTED,
        StoryState.RETURNED,
        StoryState.WITHDRAWN,
    ):
        stored_story(trust, title=f"Birth {state.value}", body="birth caesarean", state=state)
    return ids


def titles(query: str, page: int = 1) -> list[str]:
    return [s.title for s in published_stories(StoryFilters(query=query), page=page).stories]


def test_words_are_found_in_the_title_summary_and_body(corpus: list[int]) -> None:
    assert titles("pools") == ["Birth pools in every room"]
    assert titles("morning") == ["Consultants at night"]  # summary
    assert titles("noticeboard") == ["Robson groups on the noticeboard"]
    assert titles("acted") == ["Robson groups on the noticeboard"]  # body only


def test_title_matches_come_first_then_the_newest(corpus: list[int]) -> None:
    assert titles("birth") == [
        # "birth" in the title, newest first …
        "Leadership for normal birth",
        "Birth pools in every room",
        # … then in the summary or body (births, birthing: words starting with it), newest first.
        "Staying at home in early labour",
        "A VBAC clinic",
    ]
    assert titles("caesarean") == ["Induction at 41 weeks", "Consultants at night", "A VBAC clinic"]


def test_every_word_must_match_and_word_starts_count(corpus: list[int]) -> None:
    assert titles("caesarean induction") == ["Induction at 41 weeks"]
    assert titles("caes midw") == ["A VBAC clinic"]
    assert titles("VBAC clinic midwives") == ["A VBAC clinic"]
    assert titles("pools nonexistentword") == []
    assert titles("section") == ["Consultants at night"]  # from "caesarean-section"


@pytest.mark.parametrize(
    "query",
    [
        '"birth pools"',
        "birth AND pools",
        "birth OR",
        "(((",
        '"',
        "'",
        "*",
        "pools*",
        "title:pools",
        "NEAR(birth pools)",
        "- birth",
        "' OR 1=1 --",
        "'); DROP TABLE stories; --",
        "birth & | ! :*",
        "naïve café",
        "助产士",
        "🤰 birth",
        "x" * 300,
        "\x00 birth",
        "birth\u200bpools",
    ],
)
def test_quotes_operators_and_punctuation_never_fail(
    corpus: list[int], client: PortalClient, query: str
) -> None:
    response = client.get("/stories", query_string={"q": query})
    assert response.status_code == 200
    published_stories(StoryFilters(query=query))  # and the service itself does not raise


def test_quotes_and_operators_are_read_as_plain_words(corpus: list[int]) -> None:
    assert titles('"birth pools"') == ["Birth pools in every room"]
    assert titles("birth AND pools") == ["Birth pools in every room"]
    # No column filters: "title" is an ordinary word, and no story holds it.
    assert titles("title:pools") == []
    assert titles("the of and") == titles("")  # only common words: no search at all


def test_search_terms_are_words_without_punctuation_or_common_words() -> None:
    assert search_terms('"VBAC" clinic, (for) the NHS!') == ["vbac", "clinic", "nhs"]
    assert search_terms("birth birth Birth") == ["birth"]
    assert search_terms("x_y z-w") == ["x", "y", "z", "w"]
    assert len(search_terms(" ".join(f"w{n}" for n in range(20)))) == 8
    assert search_terms("x" * 100) == ["x" * 40]


def test_search_results_paginate(app: Flask) -> None:
    trust = make_trust("Riverside NHS Trust", "RS1", "north-east")
    for n in range(13):
        stored_story(
            trust,
            title=f"Story {n:02d}",
            body="continuity of carer",
            published_at=START + timedelta(days=n),
        )
    first = published_stories(StoryFilters(query="continuity"))
    assert (first.total, first.pages) == (13, 2)
    second = published_stories(StoryFilters(query="continuity"), page=2)
    assert [s.title for s in second.stories] == ["Story 02", "Story 01", "Story 00"]


def test_search_combines_with_the_filters(app: Flask) -> None:
    north = make_trust("Riverside NHS Trust", "RS1", "north-east")
    london = make_trust("Thames NHS Trust", "TT1", "london")
    stored_story(north, title="VBAC north", pathways=(Pathway.VBAC,))
    stored_story(london, title="VBAC london", pathways=(Pathway.VBAC,))
    stored_story(london, title="VBAC london organisation", pathways=(Pathway.ORGANISATIONAL,))
    from tests.factories import region

    found = published_stories(StoryFilters(query="vbac", region=region("london")))
    assert sorted(s.title for s in found.stories) == ["VBAC london", "VBAC london organisation"]
    found = published_stories(
        StoryFilters(query="vbac", region=region("london"), pathway=Pathway.VBAC)
    )
    assert [s.title for s in found.stories] == ["VBAC london"]
    found = published_stories(StoryFilters(query="vbac", trust=north.ods_code))
    assert [s.title for s in found.stories] == ["VBAC north"]


def test_changes_to_a_story_reach_the_index(app: Flask) -> None:
    from portal.extensions import db

    trust = make_trust("Riverside NHS Trust", "RS1", "north-east")
    story = stored_story(trust, title="Original words")
    assert titles("original") == ["Original words"]
    story.title = "Replacement words"
    db.session.flush()
    assert titles("original") == []
    assert titles("replacement") == ["Replacement words"]
    db.session.delete(story)
    db.session.flush()
    assert titles("replacement") == []
