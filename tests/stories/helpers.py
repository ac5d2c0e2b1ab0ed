"""Small helpers for story tests: stories in any state, and the form as a browser posts it."""

from __future__ import annotations

from typing import Any

from portal.stories.models import Measure, Pathway
from portal.stories.service import StoryValues


def values(**overrides: Any) -> StoryValues:
    given: dict[str, Any] = {
        "title": "A VBAC clinic run by midwives",
        "summary": "A weekly clinic for women who had a caesarean before.",
        "body": "## What we changed\n\nWe started a **weekly clinic**.",
        "pathways": [Pathway.VBAC],
    }
    given.update(overrides)
    return StoryValues(**given)


def form_data(**overrides: Any) -> dict[str, Any]:
    """The story form's fields as a browser posts them (every field present, most empty)."""
    data: dict[str, Any] = {
        "title": "Staying at home in early labour",
        "summary": "Clear advice and a phone call keep women at home longer.",
        "body": "## What we changed\n\nA triage phone line.",
        "pathways": ["first-pregnancy"],
        "event": "",
        "chart_measure": "",
    }
    for measure in Measure:
        prefix = "measure_" + measure.value.replace("-", "_")
        for part in ("baseline_value", "baseline_period", "latest_value", "latest_period"):
            data[f"{prefix}-{part}"] = ""
    data.update(overrides)
    return data
