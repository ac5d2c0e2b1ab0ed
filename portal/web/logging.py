"""Keep secrets that travel in URLs (feed keys, invitation and reset tokens) out of every log.

A URL reaches the logs by many roads: the access logs of werkzeug and gunicorn, Flask's
"Exception on /invitations/<token> [POST]", a traceback whose exception names the address, any
logger of the portal or of a library. So every record the process makes is redacted as it is made,
by a log record factory, whichever logger wrote it and wherever its handlers send it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from werkzeug.routing import Map

REDACTED = "[redacted]"

#: A route's URL part named `token` is a secret (a private feed's key, an invitation, a password
#: reset, a self-service link): name such a part so, and it is redacted from every log line.
SECRET_PART = re.compile(r"^(?P<prefix>[^<]*)<(?:[^:>]+:)?token>")
# The fixed paths before each secret part, from the app's routes (see redact_secret_parts_of).
_secret_path: re.Pattern[str] | None = None
# Query parameters that carry secrets.
SECRET_QUERY = re.compile(r"([?&](?:token|key|signature|secret)=)[^&\s\"]+", re.IGNORECASE)

RecordFactory = Callable[..., logging.LogRecord]
_TRACEBACKS = logging.Formatter()


def redact_secret_parts_of(url_map: Map) -> None:
    """Redact, from now on, the secret part of every route in `url_map` that has one."""
    global _secret_path
    prefixes = sorted(
        {
            match["prefix"]
            for rule in url_map.iter_rules()
            if (match := SECRET_PART.match(rule.rule))
        }
    )
    alternatives = "|".join(re.escape(prefix) for prefix in prefixes)
    _secret_path = re.compile(f"({alternatives})" + r"[^/\s?\"]+") if prefixes else None


def redact(text: str) -> str:
    if _secret_path is not None:
        text = _secret_path.sub(lambda m: m.group(1) + REDACTED, text)
    return SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> None:
    """Remove secrets from the record's message, arguments, traceback and stack, in place."""
    if record.args:
        # Each text argument on its own first, so that the record keeps its shape for handlers
        # that read the arguments (gunicorn.access: atoms such as r, U, q).
        if isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        # Then the message as it will be written: a secret may still come from an argument that
        # is not text (a request, an exception) or be split between the format and an argument
        # ("/invitations/%s", token). Redacting the format string alone could also eat a %s.
        try:
            message = record.getMessage()
        except Exception:
            message = None  # a broken call: the handler reports it, as logging always does
        if message is not None and redact(message) != message:
            record.msg, record.args = redact(message), None
    elif isinstance(record.msg, str):
        record.msg = redact(record.msg)
    elif record.msg is not None and redact(str(record.msg)) != str(record.msg):
        record.msg = redact(str(record.msg))  # an exception or object logged as the message
    if (
        isinstance(record.exc_info, tuple)
        and record.exc_info[0] is not None
        and not record.exc_text
    ):
        # logging.Formatter writes exc_text when it is set instead of formatting the traceback
        # again, so a traceback that names a secret URL is written redacted.
        record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _redacting(previous: RecordFactory) -> RecordFactory:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    factory.redacts_tokens = True  # type: ignore[attr-defined]  # a mark mypy cannot see on a function
    return factory


def install_record_factory() -> None:
    """Redact every log record from now on, wrapping the factory in place (once per process:
    each app made by create_app calls this)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacts_tokens", False):
        logging.setLogRecordFactory(_redacting(current))


class RedactTokens(logging.Filter):
    """A logging filter for werkzeug's and gunicorn's access logs: records the factory never saw
    (made by hand, or received from another process) are redacted as they pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def init_app() -> None:
    install_record_factory()
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
