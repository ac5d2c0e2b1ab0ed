"""The database helpers every feature writes through: write transactions that take their lock
first, so that rules checked inside them hold, and the health check's question to the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import current_app
from sqlalchemy import CursorResult, Result, Select, func, select, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from portal.extensions import db, sqlite_begin_mode

T = TypeVar("T")


class TryAgain(Exception):
    """The database was too busy to take a lock in time; nothing was changed."""

    message = "The portal is busy right now and nothing was saved. Please try again in a moment."

    def __str__(self) -> str:
        return self.message


@contextmanager
def write_transaction() -> Iterator[None]:
    """Begin a transaction that holds the write lock before it reads anything.

    On SQLite this is BEGIN IMMEDIATE (waiting up to the busy timeout); on PostgreSQL an ordinary
    transaction with a lock timeout, in which the caller locks the rows it decides on. A read
    transaction left open by earlier queries is ended first: SQLite cannot safely turn a read
    lock into a write lock. The block commits; anything left uncommitted is rolled back.
    """
    session = db.session()  # the Session itself: scoped_session does not proxy in_transaction()
    if session.in_transaction():
        session.commit()
    token = sqlite_begin_mode.set("IMMEDIATE")
    try:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            # How long to wait for a row lock before answering "please try again".
            timeout_ms = int(current_app.config["DB_LOCK_TIMEOUT_MS"])
            session.execute(text(f"SET LOCAL lock_timeout = {timeout_ms}"))
    except OperationalError as exc:
        session.rollback()
        raise TryAgain() from exc
    finally:
        sqlite_begin_mode.reset(token)
    try:
        yield
    except OperationalError as exc:
        session.rollback()
        raise TryAgain() from exc
    except BaseException:
        session.rollback()
        raise
    if session.in_transaction():
        session.rollback()


def rows_matched(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an UPDATE or a DELETE matched. The session returns a CursorResult for
    them, though `Session.execute` is typed to return any Result."""
    assert isinstance(result, CursorResult)
    return result.rowcount


def database_is_reachable() -> bool:
    """Whether the database answers a trivial query (for health checks)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


# --- Lists shown a page at a time ----------------------------------------------------------------


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (1 …), how many pages and items in all."""

    items: list[T]
    number: int
    pages: int
    total: int
    #: Counting stopped at `total`: more rows match, beyond the pages counted.
    more: bool = False


def count_rows(query: Select[Any]) -> int:
    """How many rows a query gives (its order is left out: it changes nothing here)."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def paginate(
    query: Select[T],
    page: int,
    size: int,
    *,
    total: int | None = None,
    count_up_to: int | None = None,
) -> Page[T]:
    """The page asked for, or the nearest that exists (an address kept after the list shrank
    shows its last page, not an empty one). `total` when the caller has counted already;
    `count_up_to` stops counting there, for a list too long to count on every load (the pages
    then reach only as far as the rows counted)."""
    more = False
    if total is None and count_up_to is not None:
        counted = count_rows(query.limit(count_up_to + 1))
        total, more = min(counted, count_up_to), counted > count_up_to
    elif total is None:
        total = count_rows(query)
    number, pages = page_bounds(total, page, size)
    items = list(db.session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items, number, pages, total, more)


def page_bounds(total: int, page: int, size: int) -> tuple[int, int]:
    """(the page to show, how many pages): the page asked for, or the nearest that exists."""
    pages = max(-(-total // size), 1)
    return min(max(page, 1), pages), pages
