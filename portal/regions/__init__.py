"""The SHA regions and their NHS trusts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("regions", __name__)
