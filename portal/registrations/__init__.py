"""Registrations: trust staff book places at network events for their colleagues."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("registrations", __name__)
