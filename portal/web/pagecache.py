"""Public pages kept per worker for anonymous visitors, rebuilt when the data they show changes.

A view declared with `@public_page(tables…)` (home, the event and story lists and pages, regions
and trusts) is the same for every visitor who is not signed in. Each worker keeps the pages it has
built (PAGE_CACHE_SIZE, least recently used dropped first), keyed by the address, whether htmx
asked for a fragment, the newest change to each table that page declares (one small query over
indexes for the tables of every public page, read at most once a second per worker and again
after the worker's own writes), the day in England, and the current PAGE_CACHE_SECONDS window, so
that rules that move with time (booking closing at 23:59, "upcoming") and any change whose
timestamp arrives late are seen within that window at the latest.

A page is kept only if building it left the session untouched (no CSRF token, no flashed
message), so a kept page holds nothing of one visitor's. Each answer gets its own CSP nonce. The
cache is a copy of what the database already holds: losing it (a restart, another worker) costs
only the time to rebuild a page.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic, time
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import TextClause, event, text
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.web.dates import today_in_london
from portal.web.htmx import wants_fragment
from portal.web.kept import KeptValues
from portal.web.security import csp_nonce

V = TypeVar("V", bound=Callable[..., Any])
_TABLE_NAME = re.compile(r"^[a-z_]+$")


def public_page(*tables: str) -> Callable[[V], V]:
    """Declare a view whose page is the same for every visitor who is not signed in, and the
    tables whose rows it shows (each with an indexed `updated_at`): the page is kept until the
    data version, the newest change to any table a public page shows, moves on."""
    for table in tables:
        if not _TABLE_NAME.match(table):
            raise ValueError(f"not a table name: {table!r}")

    def declare(view: V) -> V:
        view.public_page_tables = frozenset(tables)  # type: ignore[attr-defined]  # a mark mypy cannot see on a function
        return view

    return declare


def _shown_tables(view: Callable[..., Any] | None) -> frozenset[str] | None:
    return getattr(view, "public_page_tables", None)


@dataclass(frozen=True)
class KeptPage:
    body: bytes
    nonce: str | None
    status: int
    content_type: str


@dataclass(frozen=True)
class RememberedVersion:
    version: dict[str, Any]  # table -> its newest change
    read_at: float
    write_mark: int


class PageCache(KeptValues[tuple[Any, ...], KeptPage]):
    """This worker's kept pages, and the data version it last read."""

    def __init__(self) -> None:
        super().__init__(size=0)  # set from PAGE_CACHE_SIZE before each page is kept
        self.version: RememberedVersion | None = None
        #: Built from the public pages' declarations when first needed (see public_page).
        self.version_query: tuple[list[str], TextClause] | None = None

    def clear(self) -> None:
        super().clear()
        self.version = None


def _data_version_query(app: Flask) -> tuple[list[str], TextClause]:
    """The tables the app's public pages show, and a query for the newest change to each (each
    read from an index)."""
    cache = page_cache(app)
    if cache.version_query is None:
        tables = sorted(
            set().union(*(_shown_tables(view) or () for view in app.view_functions.values()))
        )
        newest = ", ".join(f"(SELECT max(updated_at) FROM {table})" for table in tables)
        cache.version_query = (tables, text(f"SELECT {newest or 'NULL'}"))
    return cache.version_query


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


def data_version() -> dict[str, Any]:
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
    tables, query = _data_version_query(current_app)
    version = dict(zip(tables, db.session.execute(query).one(), strict=False))
    cache.version = RememberedVersion(version, now, _last_local_write)
    return version


def _eligible() -> bool:
    return (
        current_app.config["PAGE_CACHE_SIZE"] > 0
        and request.method == "GET"
        and _shown_tables(current_app.view_functions.get(request.endpoint or "")) is not None
        and "_flashes" not in session
        and not current_user.is_authenticated
    )


def version_key(tables: frozenset[str] | None = None) -> tuple[Any, ...]:
    """What anything derived from public data may be kept under: the newest change to `tables`
    (all the public pages' tables when None), the day in England and the current time window
    (see the module's docstring)."""
    window = int(time() // current_app.config["PAGE_CACHE_SECONDS"])
    version = data_version()
    shown = sorted(version if tables is None else tables)
    return (today_in_london(), window, *(version.get(table) for table in shown))


T = TypeVar("T")


def kept_while_unchanged(name: str, tables: frozenset[str], compute: Callable[[], T]) -> T:
    """A value drawn from public tables that is the same for everyone allowed to see it (counts
    per region on the programme team's home), kept by this worker and computed again when one of
    `tables` changes, on the same terms as the pages above. The value must not be changed by its
    readers."""
    tracked, _ = _data_version_query(current_app)
    unknown = tables - set(tracked)
    if unknown:
        raise ValueError(
            f"no public page declares {', '.join(sorted(unknown))}: its changes are not tracked"
        )
    key = (name, *version_key(tables))
    kept: KeptValues[tuple[Any, ...], Any] = current_app.extensions["kept_values"]
    value = kept.get(key)
    if value is None:
        value = compute()
        kept.put(key, value)
    return value


def _key() -> tuple[Any, ...]:
    # A page is rebuilt when a table it shows changes, not when any public data does.
    tables = _shown_tables(current_app.view_functions.get(request.endpoint or ""))
    return (request.full_path, wants_fragment(), *version_key(tables))


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
    app.extensions["kept_values"] = KeptValues(32)
    app.before_request(serve_kept_page)
    app.after_request(keep_page)
