"""Forms never lose work: every form of the portal, sent with one field wrong, comes back (422)
with every other field holding what was typed, with htmx and without.

The forms, their fields and a valid value for each come from the fuzzer's table
(`tests/test_fuzzing.FORMS`), so a new form is covered as soon as it is fuzzed. For each field
that a person types into (text, e-mail, numbers, times, percentages, dates) the test sends the
form with that field wrong (emptied, or a value of its kind that cannot be right) and the others
valid. When the form refuses it, each other typed field must show its value again: an input's
`value`, a text area's text, a date's day, month and year. Passwords are never sent back, by
design, and files cannot be; choices are checked where the page shows them as chosen.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.client import HTMX
from tests.test_fuzzing import FORMS, Field, Form, World, _valid, post_form, world  # noqa: F401

TYPED = ("text", "email", "number", "percent", "time", "date")
WRONG = {
    "text": "",
    "email": "not an e-mail address",
    "number": "-7",
    "percent": "250",
    "time": "25:61",
}
TAG = re.compile(r"<(input|textarea|select)\b[^>]*>", re.S)


def _wrong(name: str, spec: Field) -> dict[str, Any]:
    if spec.kind == "date":
        return {f"{name}-day": "31", f"{name}-month": "2", f"{name}-year": "2027"}
    return {name: WRONG[spec.kind]}


def _shown(body: str, name: str, value: str) -> bool:
    """Whether the page shows `value` in the field called `name` (an input or a text area), or
    carries it in the address the form is sent to (the page to go on to after signing in)."""
    escaped = html.escape(value, quote=True)
    for action in re.findall(r'<form\b[^>]*\baction="([^"]*)"', body):
        if value in parse_qs(urlsplit(html.unescape(action)).query).get(name, []):
            return True
    for match in re.finditer(rf'<input\b[^>]*\bname="{re.escape(name)}"[^>]*>', body, re.S):
        found = re.search(r'\bvalue="([^"]*)"', match.group(0))
        if found and html.unescape(found.group(1)) == value:
            return True
    area = re.search(
        rf'<textarea\b[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</textarea>', body, re.S
    )
    if area is not None:
        return html.unescape(area.group(1)).strip("\n") == value or escaped in area.group(1)
    return False


def _kept(body: str, fields: dict[str, Field], broken: str) -> list[str]:
    """The other typed fields whose value the page does not show again."""
    lost = []
    for name, spec in fields.items():
        if name == broken or spec.kind not in TYPED or spec.valid in ("", None):
            continue
        if spec.kind == "date":
            valid: date = spec.valid
            parts = {"day": valid.day, "month": valid.month, "year": valid.year}
            lost += [
                f"{name}-{part}"
                for part, value in parts.items()
                if not _shown(body, f"{name}-{part}", str(value))
            ]
        elif not _shown(body, name, str(spec.valid)):
            lost.append(name)
    return lost


def _typed_forms() -> list[Form]:
    return [f for f in FORMS if f.method == "POST"]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("form", _typed_forms(), ids=lambda form: form.id)
def test_a_refused_form_keeps_every_other_value(world: World, form: Form, htmx: bool) -> None:  # noqa: F811 (the fixture)
    fields = form.fields(world)
    typed = [name for name, spec in fields.items() if spec.kind in TYPED]
    others = [n for n in typed if fields[n].valid not in ("", None)]
    if len(others) < 2:
        pytest.skip("fewer than two typed fields: nothing else to keep")
    path = form.paths(world)[0]
    # Signed in before the first submission: inside it, the sign-in would be rolled back with
    # the submission, and every later one would be sent to the sign-in page instead.
    world.session_for(form.users[0])
    refused = 0
    problems = {}
    for name in typed:
        submission = {**_valid(fields), **_wrong(name, fields[name])}
        outcome = post_form(
            world, form, form.users[0], path, submission, HTMX if htmx else {}, None
        )
        if outcome.status != 422:
            continue  # this field may be left empty, or the value is allowed
        refused += 1
        lost = _kept(outcome.body, fields, name)
        if lost:
            problems[name] = lost
    if not refused:
        pytest.skip("every field may be left empty here (a draft, or a step that only adds a row)")
    assert problems == {}, "with this field wrong, these others came back empty"
