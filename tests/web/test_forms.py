"""The shared form check: one-line fields refuse control characters; text areas keep their lines."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict
from wtforms import (
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SearchField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

import portal
from portal.web.forms import OneLineFields, PlainForm, PortalForm
from tests.web.helpers import ONE_LINE_MESSAGE


class Row(PlainForm):
    name = StringField("Full name", validators=[DataRequired("Enter the full name")])


class Sample(PlainForm):
    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=20)])
    venue = StringField("Venue name (optional)", validators=[Optional()])
    email = EmailField("E-mail address", validators=[Optional()])
    phone = TelField("Telephone number", validators=[Optional()])
    query = SearchField("Search", validators=[Optional()])
    notes = TextAreaField("Notes", validators=[Optional()])
    password = PasswordField("Password", validators=[Optional()])
    fingerprint = HiddenField()
    rows = FieldList(FormField(Row), min_entries=1)


def sample(**given: str) -> Sample:
    return Sample(MultiDict({"title": "A title", "rows-0-name": "Ada", **given}))


# Every kind of line break and control character people paste by accident or send on purpose.
CONTROL = [
    pytest.param("Title\r\nX-Evil: 1", id="crlf"),
    pytest.param("Title\nMore", id="lf"),
    pytest.param("Title\rMore", id="cr"),
    pytest.param("Civic\tHall", id="tab"),
    pytest.param("\x1b[31mRed", id="escape"),
    pytest.param("Bell\x07", id="bel"),
    pytest.param("Delete\x7f", id="del"),
    pytest.param("Next\x85line", id="c1-next-line"),
    pytest.param("CSI\x9b31m", id="c1-csi"),
    pytest.param("Line\u2028separator", id="line-separator"),
    pytest.param("Paragraph\u2029separator", id="paragraph-separator"),
]


@pytest.mark.parametrize("value", CONTROL)
@pytest.mark.parametrize("field", ["title", "venue", "email", "phone", "query"])
def test_a_one_line_field_refuses_control_characters(field: str, value: str) -> None:
    form = sample(**{field: value})
    assert not form.validate()
    name = form[field].label.text.removesuffix(" (optional)")
    assert form[field].errors[0] == f"{name} {ONE_LINE_MESSAGE}"


@pytest.mark.parametrize(
    "value",
    [
        "Ysbyty Gwynedd – Betsi Cadwaladr",
        "Zoë O’Brien-Łukasiewicz",
        "Hôpital 🏥 day",
        "\u05e9\u05dc\u05d5\u05dd",  # Hebrew letters
        "Non\u00a0breaking space",
    ],
)
def test_printable_text_in_any_script_is_accepted(value: str) -> None:
    form = sample(title=value[:20])
    assert form.validate(), form.errors


def test_multi_line_passwords_and_hidden_fields_keep_what_was_sent() -> None:
    form = sample(
        notes="Line one\r\nLine two\n\tIndented", password="pass\tword", fingerprint="a\nb"
    )
    assert form.validate(), form.errors
    assert form.notes.data == "Line one\r\nLine two\n\tIndented"


def test_an_optional_field_of_only_control_characters_is_refused_not_taken_as_empty() -> None:
    # Optional() stops the chain and clears messages for text that strips to nothing.
    form = sample(venue="\t\r\n")
    assert not form.validate()
    assert form.venue.errors == [f"Venue name {ONE_LINE_MESSAGE}"]


def test_the_one_line_message_comes_first_beside_the_fields_own() -> None:
    form = sample(title="x" * 25 + "\n")
    assert not form.validate()
    assert form.title.errors == [
        f"Title {ONE_LINE_MESSAGE}",
        "Field cannot be longer than 20 characters.",
    ]


def test_a_row_of_a_bigger_form_is_checked_too() -> None:
    form = sample(**{"rows-0-name": "Ada\r\nLovelace"})
    assert not form.validate()
    assert form.rows.entries[0].form.name.errors == [f"Full name {ONE_LINE_MESSAGE}"]


def test_a_form_may_name_a_field_for_the_message() -> None:
    class Filters(PlainForm):
        one_line_names = {"person": "E-mail address"}  # noqa: RUF012
        person = SearchField("Person's e-mail address contains")

    form = Filters(MultiDict({"person": "a@b\x1b"}))
    assert not form.validate()
    assert form.person.errors == [f"E-mail address {ONE_LINE_MESSAGE}"]


def test_a_posted_form_is_checked_the_same_way(app: Flask) -> None:
    class Posted(PortalForm):
        title = StringField("Title")

    with app.test_request_context(method="POST", data={"title": "A\r\nB"}):
        form = Posted(meta={"csrf": False})
        assert not form.validate()
        assert form.title.errors == [f"Title {ONE_LINE_MESSAGE}"]


def _portal_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(portal.__path__, "portal.")]


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_form_of_the_portal_derives_from_the_checked_base() -> None:
    for name in _portal_modules():
        importlib.import_module(name)
    forms = [
        cls
        for cls in _subclasses(Form)
        if cls.__module__.startswith("portal.") and cls.__module__ != "portal.web.forms"
    ]
    assert len(forms) > 20  # the walk found the feature's forms
    unchecked = [
        f"{c.__module__}.{c.__qualname__}" for c in forms if not issubclass(c, OneLineFields)
    ]
    assert not unchecked, f"derive these from portal.web.forms: {unchecked}"
