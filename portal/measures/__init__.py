"""Monthly caesarean section and birth measures, charted the Making Data Count way."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("measures", __name__)
