"""Flask extensions: created once here, bound to the app in the factory."""

from __future__ import annotations

import enum
import sqlite3
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that migrations name the same objects on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC and always read back as an aware datetime.

    SQLite keeps no time zone, so values are normalised to UTC on the way in and marked UTC on
    the way out; PostgreSQL stores them as timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def string_enum(kind: type[enum.StrEnum], name: str, length: int) -> Enum:
    """A column type for a Python enum stored as its values in a plain string column (with a
    CHECK of the allowed values), the same on SQLite and PostgreSQL."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


db = SQLAlchemy(model_class=Base)

# The base class of every model. At run time it is `db.Model`, the class Flask-SQLAlchemy builds
# from Base (the same metadata, plus its mixins); mypy cannot take an attribute as a base class
# (python/mypy#8603), so it sees Base, which declares all that the models use.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()


def _client_address() -> str:
    # ProxyFix has already replaced remote_addr with the address the trusted proxies reported.
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address)


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    """Every limit the portal sets counts form posts (signing in, asking for a password reset),
    so a page read or a calendar's feed poll skips the limiter's work on each request
    (tests/auth/test_routes.py checks that each limit names only POST)."""
    return request.method in ("GET", "HEAD", "OPTIONS")


# --- SQLite: real transactions, WAL and a busy timeout ------------------------------------
#
# pysqlite starts transactions lazily and on its own terms, which breaks SAVEPOINT and makes
# "take the write lock before reading" impossible. Turning its implicit BEGIN off and emitting
# BEGIN ourselves gives SQLAlchemy's transaction the meaning it has on PostgreSQL; a transaction
# begun while `sqlite_begin_mode` is "IMMEDIATE" takes the write lock at BEGIN.


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: "IMMEDIATE" while `portal.database.write_transaction` opens its transaction.
sqlite_begin_mode: ContextVar[str] = ContextVar("sqlite_begin_mode", default="")


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql(f"BEGIN {sqlite_begin_mode.get()}".strip())
