"""Network events: planned by SHA coordinators, found by everyone."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__)
