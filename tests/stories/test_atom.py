"""Atom feeds of published stories, read back by an independent parser (feedparser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import feedparser
import pytest
from flask import Flask

from portal.stories.models import Pathway, StoryState
from tests.factories import make_trust, stored_story

START = datetime(2009, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def stories(app: Flask) -> dict:
    north = make_trust("Riverside NHS Trust", "RS1", "north-east")
    london = make_trust("Thames NHS Trust", "TT1", "london")
    return {
        "older": stored_story(
            north,
            title="Staying at home in early labour",
            summary="A phone line & clear advice.",
            body="## What we changed\n\nA **triage** line.",
            published_at=START,
            pathways=(Pathway.FIRST_PREGNANCY, Pathway.TOP_TEN),
        ),
        "newer": stored_story(
            london, title="A VBAC clinic", published_at=START + timedelta(days=2)
        ),
        "draft": stored_story(north, title="Not yet", state=StoryState.DRAFT),
        "withdrawn": stored_story(north, title="Taken down", state=StoryState.WITHDRAWN),
    }


def test_the_feed_of_all_stories_parses_and_says_what_a_reader_needs(
    app: Flask, stories: dict
) -> None:
    response = app.test_client().get("/feeds/stories.atom")
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    ET.fromstring(response.data)  # well-formed XML
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Caesarean section network: improvement stories"
    assert feed.feed.id == "https://portal.example.org/feeds/stories.atom"
    assert [e.title for e in feed.entries] == ["A VBAC clinic", "Staying at home in early labour"]
    entry = feed.entries[1]
    older = stories["older"]
    assert entry.id == entry.link == f"https://portal.example.org/stories/{older.id}"
    assert entry.published == "2009-03-01T09:30:00Z"
    assert entry.author == "Riverside NHS Trust"
    assert entry.summary == "A phone line & clear advice."
    assert "<strong>triage</strong>" in entry.content[0].value
    assert [t.term for t in entry.tags] == ["first-pregnancy", "top-ten"]
    assert feed.feed.updated == "2009-03-03T09:30:00Z"


def test_a_region_feed_holds_only_its_region(app: Flask, stories: dict) -> None:
    feed = feedparser.parse(app.test_client().get("/feeds/regions/london/stories.atom").data)
    assert feed.bozo == 0
    assert feed.feed.title == "NHS London: improvement stories"
    assert [e.title for e in feed.entries] == ["A VBAC clinic"]
    assert app.test_client().get("/feeds/regions/atlantis/stories.atom").status_code == 404


def test_an_empty_feed_is_still_valid(app: Flask) -> None:
    feed = feedparser.parse(app.test_client().get("/feeds/stories.atom").data)
    assert feed.bozo == 0 and feed.entries == []
    assert feed.feed.updated == "2008-04-01T00:00:00Z"


def test_conditional_requests_get_304_until_a_story_is_published(app: Flask, stories: dict) -> None:
    client = app.test_client()
    first = client.get("/feeds/stories.atom")
    etag = first.headers["ETag"]
    assert client.get("/feeds/stories.atom").data == first.data  # the same bytes each time
    again = client.get("/feeds/stories.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    stored_story(stories["older"].trust, title="Brand new", published_at=START + timedelta(days=9))
    changed = client.get("/feeds/stories.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and b"Brand new" in changed.data


def test_pages_link_their_feeds(app: Flask, stories: dict) -> None:
    client = app.test_client()
    link = '<link rel="alternate" type="application/atom+xml" title="Improvement stories" href="https://portal.example.org/feeds/stories.atom">'
    for path in ("/", "/stories"):
        assert link in client.get(path).get_data(as_text=True), path
    page = client.get("/stories?region=london").get_data(as_text=True)
    assert 'href="https://portal.example.org/feeds/regions/london/stories.atom"' in page
