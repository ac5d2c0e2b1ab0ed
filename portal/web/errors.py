"""NHS-styled error pages; an htmx request from a signed-out session is sent to sign in."""

from __future__ import annotations

from flask import Flask, Response, current_app, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    TooManyRequests,
)

from portal.config import megabytes
from portal.database import TryAgain
from portal.extensions import db
from portal.web.htmx import is_htmx

TITLES = {
    400: "Sorry, there is a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Sorry, that action is not possible here",
    413: "The file or form you sent is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def error_page(status: int, message: str | None = None) -> Response:
    title = TITLES.get(status, "Sorry, there is a problem")
    body = render_template("errors/error.jinja", status=status, title=title, message=message)
    response = make_response(body, status)
    if is_htmx():
        # Show the error in place of the page's main content, not inside the fragment's target.
        response.headers["HX-Retarget"] = "#maincontent"
        response.headers["HX-Reswap"] = "outerHTML"
        response.headers["HX-Reselect"] = "#maincontent"
    return response


def request_too_large() -> Response:
    """413 saying what the limit is, whether the request was refused before its body was read
    (portal.web.inputs) or Werkzeug stopped reading it."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    declared = request.content_length
    if limit is None or (declared is not None and declared <= limit):
        # Within the limit as a whole, so one part was too large: Werkzeug also refuses a typed
        # field over MAX_FORM_MEMORY_SIZE (500 kB) and a form of over MAX_FORM_PARTS parts.
        message = (
            "Part of what you sent is larger than the portal accepts. Shorten the text you typed, "
            "then try again. Nothing was changed."
        )
    else:
        message = (
            f"The portal accepts at most {megabytes(limit)} at a time. Send a smaller file (split "
            "a CSV file into smaller files and send them one by one), then try again. Nothing was "
            "changed."
        )
    return error_page(413, message)


def sign_in_required() -> Response:
    """Where Flask-Login sends an anonymous visitor: sign in, then come back."""
    view = current_app.view_functions.get(request.endpoint or "")
    if is_htmx() and getattr(view, "keeps_page_when_signed_out", False):
        # A background save: leave the person's page (and what they typed) where it is.
        return make_response(
            "You have been signed out, so your latest changes are not saved. Copy your text, "
            "sign in again in a new tab, then paste it back here.",
            401,
        )
    if is_htmx():
        # Never swap the sign-in page into a fragment: make the browser navigate instead.
        current = request.headers.get("HX-Current-URL", "")
        target = url_for("auth.sign_in", next=_local_path(current) or None)
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    response = make_response("", 302)
    response.headers["Location"] = url_for("auth.sign_in", next=request.full_path.rstrip("?"))
    return response


def _local_path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and not path.startswith("//") else ""


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        return error_page(
            400,
            "The form you sent had expired or was not from this site. Go back, reload the page "
            "and try again. Nothing was changed.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if error.code is None or error.code < 400:
            return error.get_response()
        if error.code == 413:
            return request_too_large()
        message = None
        if error.code == 429:
            message = "You have tried too many times. Wait a few minutes, then try again."
        response = error_page(error.code, message)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if isinstance(error, TooManyRequests) and error.retry_after:
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(TryAgain)
    def try_again(error: TryAgain) -> Response:
        db.session.rollback()
        response = error_page(503, error.message)
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Response:
        db.session.rollback()
        return error_page(
            500, "Try again later. If it keeps happening, contact the programme team."
        )
