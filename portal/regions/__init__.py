"""The SHA regions and their NHS trusts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("regions", __name__)

from portal.regions import routes  # noqa: E402,F401
