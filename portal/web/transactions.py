"""Write transactions that take their lock first, so that rules checked inside them hold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from portal.extensions import db, sqlite_begin_mode


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


def database_is_reachable() -> bool:
    """Whether the database answers a trivial query (for health checks)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
