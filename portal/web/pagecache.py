"""Public pages kept per worker for anonymous visitors, rebuilt when the data they show changes.

Home, the event and story lists and pages, regions and trusts are the same for every visitor who
is not signed in. Each worker keeps the pages it has built (PAGE_CACHE_SIZE, least recently used
dropped first), keyed by the address, whether htmx asked for a fragment, and a data version: the
newest change to events, registrations, stories, trusts and regions (one small query over
indexes, read at most once a second per worker and again after the worker's own writes), the day
in England, and the current PAGE_CACHE_SECONDS window, so that rules that move
with time (booking closing at 23:59, "upcoming") and any change whose timestamp arrives late are
seen within that window at the latest.

A page is kept only if building it left the session untouched (no CSRF token, no flashed
message), so a kept page holds nothing of one visitor's. Each answer gets its own CSP nonce. The
cache is a copy of what the database already holds: losing it (a restart, another worker) costs
only the time to rebuild a page.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from time import monotonic, time
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.web.dates import today_in_london
from portal.web.htmx import wants_fragment
from portal.web.kept import KeptValues
from portal.web.security import csp_nonce

PUBLIC_PAGES = frozenset(
    {
        "pages.home",
        "events.index",
        "events.event",
        "stories.index",
        "stories.story",
        "regions.index",
        "regions.region",
        "regions.trusts",
        "regions.trust",
    }
)


@dataclass(frozen=True)
class KeptPage:
    body: bytes
    nonce: str | None
    status: int
    content_type: str


@dataclass(frozen=True)
class RememberedVersion:
    version: tuple[Any, ...]
    read_at: float
    write_mark: int


class PageCache(KeptValues[tuple[Any, ...], KeptPage]):
    """This worker's kept pages, and the data version it last read."""

    def __init__(self) -> None:
        super().__init__(size=0)  # set from PAGE_CACHE_SIZE before each page is kept
        self.version: RememberedVersion | None = None

    def clear(self) -> None:
        super().clear()
        self.version = None


# The newest change to anything a public page shows, each read from an index.
DATA_VERSION = text(
    "SELECT (SELECT max(updated_at) FROM network_events), (SELECT max(updated_at) FROM registrations),"
    " (SELECT max(updated_at) FROM stories), (SELECT max(updated_at) FROM trusts),"
    " (SELECT max(updated_at) FROM regions)"
)
#: How long a worker reuses the data version it read, unless it has written something since.
VERSION_REUSE_SECONDS = 1.0

# Raised whenever this process flushes or commits a change: a version read before it is not reused.
_local_writes = itertools.count()
_last_local_write = 0


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
def _note_local_write(*_: Any) -> None:
    global _last_local_write
    _last_local_write = next(_local_writes)


def data_version() -> tuple[Any, ...]:
    """The data version: read at most once a second per worker, and again after its own writes.

    A change made by another worker (or the mail worker) is seen within that second; one made by
    this worker, at once.
    """
    cache = page_cache()
    now = monotonic()
    remembered = cache.version
    if (
        remembered is not None
        and remembered.write_mark == _last_local_write
        and now - remembered.read_at < VERSION_REUSE_SECONDS
    ):
        return remembered.version
    version = tuple(db.session.execute(DATA_VERSION).one())
    cache.version = RememberedVersion(version, now, _last_local_write)
    return version


def _eligible() -> bool:
    return (
        current_app.config["PAGE_CACHE_SIZE"] > 0
        and request.method == "GET"
        and request.endpoint in PUBLIC_PAGES
        and "_flashes" not in session
        and not current_user.is_authenticated
    )


def version_key() -> tuple[Any, ...]:
    """What anything derived from public data may be kept under: the data version, the day in
    England and the current time window (see the module's docstring)."""
    window = int(time() // current_app.config["PAGE_CACHE_SECONDS"])
    return (today_in_london(), window, data_version())


def _key() -> tuple[Any, ...]:
    return (request.full_path, wants_fragment(), *version_key())


def serve_kept_page() -> Response | None:
    if not _eligible():
        return None
    g.page_cache_key = key = _key()
    kept = page_cache().get(key)
    if kept is None:
        return None
    body = kept.body
    if kept.nonce:
        body = body.replace(kept.nonce.encode(), csp_nonce().encode())
    g.page_cache_hit = True
    return Response(body, status=kept.status, content_type=kept.content_type)


def keep_page(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    if (
        key is None
        or g.get("page_cache_hit")
        or response.status_code != 200
        or response.direct_passthrough
        or session.modified
        or "Set-Cookie" in response.headers
    ):
        return response
    cache = page_cache()
    cache.size = current_app.config["PAGE_CACHE_SIZE"]
    cache.put(
        key, KeptPage(response.get_data(), g.get("csp_nonce"), 200, response.content_type or "")
    )
    return response


def page_cache(app: Flask | None = None) -> PageCache:
    """This app's cache (each app has its own: two apps in one process may use two databases)."""
    return (app or current_app).extensions["page_cache"]


def init_app(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache()
    app.before_request(serve_kept_page)
    app.after_request(keep_page)
