"""Request input that no database column can hold or compare: text with NUL characters."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, request

from portal.web.errors import error_page

NUL = "\x00"
MESSAGE = (
    "What you sent holds a NUL character, an invisible control character that cannot be saved. "
    "Type the text again rather than pasting it, then try again. Nothing was changed."
)


def _holds_nul(pairs: Iterable[tuple[str | None, str | None]]) -> bool:
    # A multipart part whose name Werkzeug cannot read comes with the key None.
    return any(NUL in (key or "") or NUL in (value or "") for key, value in pairs)


def refuse_nul_characters() -> Response | None:
    """Answer 400 to a request whose address or submitted form holds NUL (U+0000), before a view
    reads it.

    PostgreSQL can neither store nor compare text holding NUL: the first query that met one would
    fail with a 500 (SQLite would store it). No one types a NUL. Query strings are left to the
    views: a search drops anything that is not a word. Uploaded files are checked where they are
    read.
    """
    in_path = any(
        NUL in value for value in (request.view_args or {}).values() if isinstance(value, str)
    )
    if in_path or _holds_nul(request.form.items(multi=True)):
        return error_page(400, MESSAGE)
    return None


def search_text(value: str | None, limit: int) -> str:
    """What someone typed in a search box (a query string, which is not refused above), ready to
    compare with stored text: NUL characters dropped, spaces trimmed, at most `limit` characters."""
    return (value or "").replace(NUL, "").strip()[:limit]


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
