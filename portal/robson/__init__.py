"""The Robson Ten Group Classification (WHO): groups, classifying a birth, reading an anonymised
file of births into counts, and the report table with its discussion notes.

The domain modules (groups, classify, births, report) are pure functions: no request, no
database. The service keeps the counts; the routes and forms are the web pages (the blueprint).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("robson", __name__)
