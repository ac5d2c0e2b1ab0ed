"""The one place that decides whether a request gets a fragment or the full page."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_fragment() -> bool:
    """An htmx request for part of a page: not a boosted navigation, not a history restore."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render the page, or only `block` of it when htmx asked for a fragment."""
    if block is not None and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def render_fragment(template: str, block: str, status: int = 200, **context: Any) -> Response:
    """Render only `block`, whoever asks: for endpoints that exist only for htmx (autosave, live
    preview). Their page would lack its context, so a request without htmx, or a boosted one,
    gets the same small answer instead of an error."""
    return make_response(render_block(template, block, **context), status)


def redirect_after_post(location: str, *, reload: bool = False) -> Response:
    """303 for a plain form; for htmx, HX-Location so the next page loads without a full reload.

    `reload` makes htmx load the whole page instead: needed when the session was replaced
    (sign-in, sign-out), since the CSRF token carried on <body> changes with it.
    """
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect" if reload else "HX-Location"] = location
        return response
    response = make_response("", 303)
    response.headers["Location"] = location
    return response
