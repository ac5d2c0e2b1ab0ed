"""Network events: planned by SHA coordinators, found by everyone."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__)

from portal.events import routes  # noqa: E402,F401
