"""Calendar feeds of network events, for calendar apps to subscribe to."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feeds", __name__)
