"""Secrets that travel in URLs never reach a log, whichever logger writes the record."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request

from portal.auth import people_routes
from portal.web import logging as redaction

TOKEN = "Xq7vLr2Ws9Kp4Tn6Bz1Jc8Hd3Fm5Ga0"
#: What handlers write: the message, then the traceback (logging.Formatter appends exc_text).
WRITTEN = logging.Formatter("%(levelname)s %(name)s: %(message)s")


@pytest.fixture(autouse=True)
def _routes_known(app: Flask) -> None:
    """The secret parts of addresses are read from the app's routes (those named <token>)."""


def written(records: list[logging.LogRecord]) -> str:
    return "\n".join(WRITTEN.format(record) for record in records)


def test_a_server_error_on_an_invitation_link_is_logged_without_its_token(
    app_factory: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken(token: str, purpose: object) -> None:
        # An exception whose text names the address, as many do (a failed fetch, a bad redirect).
        raise RuntimeError(f"could not look up the link {request.url}")

    monkeypatch.setattr(people_routes, "usable_token", broken)
    # Alembic's fileConfig (migrations/env.py) disables the loggers that exist when the test
    # database is migrated, Flask's "portal" among them.
    monkeypatch.setattr(app.logger, "disabled", False)
    client = app.test_client()
    token = client.csrf_token("/sign-in")
    with caplog.at_level(logging.INFO):
        response = client.post(f"/invitations/{TOKEN}", data={"csrf_token": token})
    assert response.status_code == 500
    log = written(caplog.records)
    # Flask's own line, logged on the app's logger, and the traceback below it.
    assert "Exception on /invitations/[redacted] [POST]" in log
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: could not look up the link http://localhost/invitations/[redacted]" in log
    assert TOKEN not in log
    assert all(TOKEN not in (record.exc_text or "") for record in caplog.records)


@pytest.mark.parametrize(
    ("message", "args"),
    [
        # A secret in a text argument: the record keeps its arguments, redacted.
        ('%s "%s" %s', ("127.0.0.1", f"GET /feeds/private/{TOKEN}.ics HTTP/1.1", 200)),
        # Split between the format and an argument: redacting the format alone would miss it.
        ("Sent the link /invitations/%s to %s", (TOKEN, "a.person@example.org")),
        ("Opening %(url)s", {"url": f"https://portal.example.org/password-reset/{TOKEN}"}),
        ("Retrying %s", (f"https://portal.example.org/calendar?page=2&token={TOKEN}",)),
        # An argument that is not text, but names the address when written.
        ("Fetching %s", (ValueError(f"bad link /bookings/self-service/{TOKEN}"),)),
        (f"No arguments: /password-reset/{TOKEN}", ()),
    ],
)
def test_a_record_on_any_logger_is_redacted(
    app: Flask, caplog: pytest.LogCaptureFixture, message: str, args: Any
) -> None:
    logger = logging.getLogger("some.library.far.from.the.portal")
    with caplog.at_level(logging.INFO):
        if isinstance(args, dict):
            logger.warning(message, args)
        else:
            logger.warning(message, *args)
    log = written(caplog.records)
    assert TOKEN not in log
    assert "[redacted]" in log
    assert "%s" not in log  # the message was still formatted, not broken by the redaction


def test_a_traceback_logged_on_any_logger_is_redacted(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("tests.logging.worker")
    with caplog.at_level(logging.INFO):
        try:
            raise ConnectionError(
                f"could not reach https://portal.example.org/password-reset/{TOKEN}"
            )
        except ConnectionError:
            logger.exception("Sending failed")
    log = written(caplog.records)
    assert (
        "ConnectionError: could not reach https://portal.example.org/password-reset/[redacted]"
        in log
    )
    assert TOKEN not in log


def test_access_log_arguments_keep_their_shape(app: Flask) -> None:
    """gunicorn.access formats its line from named atoms: each stays, redacted."""
    record = logging.getLogger("gunicorn.access").makeRecord(
        "gunicorn.access",
        logging.INFO,
        "glogging.py",
        1,
        '"%(r)s" %(s)s',
        ({"r": f"GET /invitations/{TOKEN} HTTP/1.1", "s": "200"},),
        None,
    )
    assert record.args == {"r": "GET /invitations/[redacted] HTTP/1.1", "s": "200"}
    assert record.getMessage() == '"GET /invitations/[redacted] HTTP/1.1" 200'


@pytest.fixture
def own_factory() -> Iterator[None]:
    """A record factory set before the portal's (by a library, or gunicorn), put back after."""
    before = logging.getLogRecordFactory()

    def library_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = logging.LogRecord(*args, **kwargs)
        record.library_saw_it = True
        return record

    logging.setLogRecordFactory(library_factory)
    try:
        yield
    finally:
        logging.setLogRecordFactory(before)


def test_the_factory_wraps_the_one_before_it_once(own_factory: None) -> None:
    redaction.init_app()
    installed = logging.getLogRecordFactory()
    redaction.init_app()  # every app made by create_app calls it again
    assert logging.getLogRecordFactory() is installed
    record = logging.getLogger("x").makeRecord(
        "x", logging.INFO, "f.py", 1, "GET /password-reset/%s", (TOKEN,), None
    )
    assert record.library_saw_it is True  # type: ignore[attr-defined]
    assert record.getMessage() == "GET /password-reset/[redacted]"
