"""The "Pathways to success" self-assessment toolkit (NHS Institute, 2007): its framework of
pathways, characteristics and spectrums of positions, loaded by the programme team as versioned
data (never text in code: the toolkit's wording is the Institute's, reproduced only within the
NHS and its networks).

The service loads and reads the framework; the routes are the web pages (the blueprint).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assessments", __name__)
