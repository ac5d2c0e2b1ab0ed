"""Idle timeout and absolute lifetime of signed-in sessions (DESIGN.md: 30 minutes, 12 hours).

The session records when it began and when it was last used; a request after either limit signs
the person out. Each session also has a row on the server (portal.auth.models.SignedInSession)
named by a random key in the cookie: signing out ends the row, so a copy of the cookie is
useless afterwards on every worker. Pages warn two minutes before the idle timeout (static/js/session-timeout.js) and
let the person stay signed in (WCAG 2.2.1 Timing Adjustable).
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, Response, current_app, flash, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.auth.models import User
from portal.auth.service import SignedIn, end_session
from portal.web.errors import sign_in_required
from portal.web.htmx import redirect_after_post

SKIPPED_ENDPOINTS = {"static", "assets.asset", "pages.healthz"}
WARNING_SECONDS = 120
#: The idle clock restarts at most this often: the requests of a burst (a page and its htmx
#: requests, active search as someone types) leave the cookie as it was instead of signing a
#: new one each; the idle limit is then kept to within these seconds.
SEEN_RESOLUTION_SECONDS = 10


#: The cookie's entry holding the session's key (its hash is on the server).
KEY = "_sid"


def lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config["SESSION_LIFETIME_HOURS"]))


def key() -> str:
    value = session.get(KEY)
    return value if isinstance(value, str) else ""


def begin(user: User, session_key: str) -> None:
    """Sign the person in to a fresh cookie session (nothing from before survives: session
    fixation) tied to the server-side session `session_key`."""
    session.clear()
    login_user(user)
    session[KEY] = session_key
    start()


def welcome(signed_in: SignedIn, message: str, to: str | None = None) -> Response:
    """The answer to signing in, accepting an invitation or resetting a password: begin the
    session, say so, and send the browser on (to `to`, or the person's home), reloading the page
    so that the header shows who is signed in."""
    begin(signed_in.user, signed_in.session_key)
    flash(message, "success")
    return redirect_after_post(to or url_for("pages.home"), reload=True)


def finish() -> None:
    """Sign out: end the session on the server, then empty the cookie."""
    end_session(key())
    logout_user()
    session.clear()


def start(now: float | None = None) -> None:
    """Start the idle and lifetime clocks (after the session has been cleared)."""
    now = time.time() if now is None else now
    session["_started"] = now
    session["_seen"] = now


def idle_seconds() -> int:
    return int(current_app.config["SESSION_IDLE_MINUTES"]) * 60


def enforce_limits() -> Response | None:
    if request.endpoint in SKIPPED_ENDPOINTS or not current_user.is_authenticated:
        return None
    now = time.time()
    started = session.get("_started")
    seen = session.get("_seen")
    if not isinstance(started, int | float) or not isinstance(seen, int | float):
        start(now)
        return None
    if now - seen > idle_seconds() or now - started > lifetime().total_seconds():
        finish()
        flash("You were signed out to keep your account safe. Sign in again to carry on.", "info")
        return sign_in_required()
    if now - seen >= SEEN_RESOLUTION_SECONDS:
        session["_seen"] = now
    return None


def init_app(app: Flask) -> None:
    app.before_request(enforce_limits)
    app.jinja_env.globals["session_warning_seconds"] = WARNING_SECONDS
    app.jinja_env.globals["session_idle_seconds"] = idle_seconds
