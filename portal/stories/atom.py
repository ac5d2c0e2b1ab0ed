"""Atom (RFC 4287) feeds of published stories: all of them, or one region's."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from sqlalchemy import select

from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.stories.models import Story, StoryState
from portal.web.markdown import render_markdown
from portal.web.urls import absolute_url

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
# A feed with no stories still needs an <updated>: the programme's start.
PROGRAMME_START = datetime(2008, 4, 1, tzinfo=UTC)


def feed_stories(region: Region | None) -> list[Story]:
    query = select(Story).where(Story.state == StoryState.PUBLISHED)
    if region is not None:
        query = query.join(Story.trust).where(Trust.region_id == region.id)
    return list(
        db.session.scalars(
            query.order_by(Story.published_at.desc(), Story.id.desc()).limit(FEED_SIZE)
        )
    )


def feed_etag(stories: list[Story], region: Region | None) -> str:
    """Changes whenever what the feed shows may change."""
    digest = hashlib.sha256(
        f"stories:{region.slug if region else '*'}:{region.name if region else ''}".encode()
    )
    for story in stories:
        # A published story has its date (a CHECK constraint); build_feed reads it the same way.
        published = story.published_at or PROGRAMME_START
        digest.update(
            f"|{story.id}:{published.isoformat()}:{story.updated_at.isoformat()}".encode()
        )
    return digest.hexdigest()[:32]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def build_feed(stories: list[Story], region: Region | None) -> bytes:
    if region is None:
        title = "Caesarean section network: improvement stories"
        self_url = absolute_url("stories.atom_all")
        page_url = absolute_url("stories.index")
    else:
        title = f"{region.name}: improvement stories"
        self_url = absolute_url("stories.atom_region", slug=region.slug)
        page_url = absolute_url("stories.index", region=region.slug)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    _add(
        feed,
        "subtitle",
        "What NHS trusts changed to promote normal birth and reduce caesarean section rates, "
        "and what happened.",
    )
    newest = max((s.published_at for s in stories if s.published_at), default=PROGRAMME_START)
    _add(feed, "updated", _stamp(newest))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = _add(feed, "author")
    _add(author, "name", "Caesarean section network")
    for story in stories:
        url = absolute_url("stories.story", story_id=story.id)
        entry = _add(feed, "entry")
        _add(entry, "id", url)
        _add(entry, "title", story.title)
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        _add(entry, "published", _stamp(story.published_at or PROGRAMME_START))
        _add(entry, "updated", _stamp(story.published_at or PROGRAMME_START))
        entry_author = _add(entry, "author")
        _add(entry_author, "name", story.trust.name + (" (demo)" if story.is_demo else ""))
        for pathway in story.pathways:
            _add(entry, "category", term=pathway.value, label=pathway.label)
        _add(entry, "summary", story.summary)
        _add(entry, "content", str(render_markdown(story.body)), type="html")
    ET.register_namespace("", ATOM)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
