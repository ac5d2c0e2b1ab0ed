"""Signing in and out, and each person's account page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
