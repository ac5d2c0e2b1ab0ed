"""Improvement stories: trusts share what they changed and what happened; coordinators publish."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stories", __name__)
