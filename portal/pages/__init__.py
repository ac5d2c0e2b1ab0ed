"""The home page, information pages and the health check."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pages", __name__)
