"""Absolute links for e-mails and feeds: from PORTAL_BASE_URL, never from the Host header."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


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
