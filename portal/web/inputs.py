"""Request input refused before a view reads it: bodies over the size limit, and text with NUL
characters, which no database column can hold or compare."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, current_app, request

from portal.web.errors import error_page, request_too_large

NUL = "\x00"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
MESSAGE = (
    "What you sent holds a NUL character, an invisible control character that cannot be saved. "
    "Type the text again rather than pasting it, then try again. Nothing was changed."
)


def _holds_nul(pairs: Iterable[tuple[str | None, str | None]]) -> bool:
    # A multipart part whose name Werkzeug cannot read comes with the key None.
    return any(NUL in (key or "") or NUL in (value or "") for key, value in pairs)


def refuse_oversized_requests() -> Response | None:
    """Answer 413 to a request that says its body is larger than MAX_CONTENT_LENGTH, before
    anything reads the body.

    Werkzeug refuses such a body as well, but only when something asks for it; this refuses it
    whatever runs next, and whether or not a view answers the address. A body sent without a
    length (chunked) cannot be judged here: Werkzeug stops reading it at the same limit.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        return request_too_large()
    return None


def refuse_nul_characters() -> Response | None:
    """Answer 400 to a request whose address or submitted form holds NUL (U+0000), before a view
    reads it.

    PostgreSQL can neither store nor compare text holding NUL: the first query that met one would
    fail with a 500 (SQLite would store it). No one types a NUL. Query strings are left to the
    views: a search drops anything that is not a word. Uploaded files are checked where they are
    read.
    """
    if request.routing_exception is not None:
        # No view will answer (404, 405): leave the body unread rather than parse it for nothing.
        return None
    in_path = any(
        NUL in value for value in (request.view_args or {}).values() if isinstance(value, str)
    )
    # Only a form body fills request.form: anything else is not parsed for nothing.
    has_form = request.mimetype in FORM_TYPES
    if in_path or (has_form and _holds_nul(request.form.items(multi=True))):
        return error_page(400, MESSAGE)
    return None


def search_text(value: str | None, limit: int) -> str:
    """What someone typed in a search box (a query string, which is not refused above), ready to
    compare with stored text: NUL characters dropped, spaces trimmed, at most `limit` characters."""
    return (value or "").replace(NUL, "").strip()[:limit]


def init_app(app: Flask) -> None:
    # First of all the app's before-request functions, whoever registered theirs earlier (the CSRF
    # check reads the form, the rate limiter writes to its store): a refusal costs nothing.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_requests)
    app.before_request(refuse_nul_characters)
