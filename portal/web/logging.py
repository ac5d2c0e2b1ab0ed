"""Keep secrets that travel in URLs (feed keys, invitation and reset tokens) out of access logs."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# Path segments that follow these prefixes are secrets.
SECRET_PATH = re.compile(
    r"(/(?:feeds/private|invitations|password-reset|bookings/self-service|tokens)/)[^/\s?\"]+"
)
# Query parameters that carry secrets.
SECRET_QUERY = re.compile(r"([?&](?:token|key|signature|secret)=)[^&\s\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    text = SECRET_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    return SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    """A logging filter for werkzeug's and gunicorn's access logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):  # gunicorn.access: atoms such as r, U, q
            record.args = {
                key: redact(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        elif isinstance(record.args, tuple):  # werkzeug: ('%s', request line, status, size)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def init_app() -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
