"""Addresses: absolute links for e-mails and feeds (from PORTAL_BASE_URL, never from the Host
header), and the links of long lists built without the URL map for every row."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """Works in a request and outside one (the mail worker, the command line)."""
    base = current_app.config["PORTAL_BASE_URL"]
    if has_request_context():
        return base + url_for(endpoint, _external=False, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, _external=False, **values)


def webcal_url(https_url: str) -> str:
    """The same address with the webcal:// scheme, which makes calendar apps offer to subscribe."""
    for scheme in ("https://", "http://"):
        if https_url.startswith(scheme):
            return "webcal://" + https_url[len(scheme) :]
    return https_url


#: A number no row's id reaches, built into an address where the row's id goes.
_STAND_IN = 7_919_191_919


def row_url(endpoint: str, **value: int) -> str:
    """`url_for(endpoint, name=id)` for one integer argument, for lists that link every row.

    Building an address through the URL map costs a few microseconds; a list of 300 rows with
    three links each spends milliseconds on it. The address is built once per endpoint (and
    script root) with a stand-in id, split around it, and each row's id is put in its place."""
    ((name, row_id),) = value.items()
    if not isinstance(row_id, int) or isinstance(row_id, bool):
        raise TypeError(f"row_url needs an integer {name}, not {row_id!r}")
    values: dict[str, Any] = {name: _STAND_IN}
    patterns: dict[tuple[str, str, str], tuple[str, str] | None] = (
        current_app.extensions.setdefault("row_urls", {})
    )
    key = (request.script_root, endpoint, name)
    try:
        pattern = patterns[key]
    except KeyError:
        head, found, tail = url_for(endpoint, **values).partition(str(_STAND_IN))
        pattern = patterns[key] = (head, tail) if found and str(_STAND_IN) not in tail else None
    if pattern is None:
        values[name] = row_id
        return url_for(endpoint, **values)
    return f"{pattern[0]}{row_id}{pattern[1]}"
