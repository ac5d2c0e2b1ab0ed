"""Conditional GET: a client that already holds the current version gets 304 and no body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response, request
from werkzeug.http import is_resource_modified


def answer_conditionally(
    response: Response,
    body: Callable[[], bytes | str],
    *,
    etag: str,
    last_modified: datetime | None = None,
) -> Response:
    """Set the validators on `response`; then 304 if the request's If-None-Match (or, without
    it, If-Modified-Since) says the client's copy is current, else the body, built only now."""
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response.status_code = 304
        return response
    response.set_data(body())
    return response
