"""The project's form base classes: every form refuses control characters in one-line fields.

A title, a name or an e-mail address is one line of text. A line break in one ends up in places
that cannot hold it: a calendar's SUMMARY line, an e-mail header, a CSV cell, a log line. Tabs,
escape sequences and the other control characters are invisible on screen and mean nothing in
a name. Multi-line fields (text areas) keep their line breaks. Passwords are left alone: they are
only hashed, never shown or written anywhere, and refusing a character at sign-in could lock out
someone whose password holds it. (NUL never gets this far: portal.web.inputs refuses it first.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import (
    Field,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectFieldBase

from portal.text import holds_control_character
from portal.web.inputs import search_text


def is_one_line(field: Field) -> bool:
    """A text box people type one line into (not a text area, a password or a hidden field)."""
    return isinstance(field, StringField) and not isinstance(
        field, TextAreaField | PasswordField | HiddenField
    )


class OneLineFields(Form):
    """Refuses a one-line field whose value holds a control character, with a message next to it.

    The check runs after the field's own validators, whatever they did: `Optional()` would
    otherwise let a value of only tabs through as "empty", and a filter or a `validate_<field>`
    method that tidies the value has had its say (what is checked is what would be saved).
    """

    #: How a field is named in the message, where its label does not read well there.
    one_line_names: ClassVar[dict[str, str]] = {}

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for field in self:
            text = field.data if is_one_line(field) else None
            if isinstance(text, str) and holds_control_character(text):
                # First, since a field shows only its first message.
                field.errors = [self._one_line_message(field), *field.errors]
                valid = False
        return valid

    def _one_line_message(self, field: Field) -> str:
        name = self.one_line_names.get(field.short_name)
        name = name or field.label.text.removesuffix(" (optional)")
        return f"{name} must be on one line, without tabs or other invisible characters"


class PortalForm(OneLineFields, FlaskForm):
    """The base of every form posted by a page (with its CSRF token)."""


class PlainForm(OneLineFields):
    """The base of a form without a CSRF token of its own: a row or part of a bigger form (in a
    `FormField`), or filters read from a query string."""


class FilterForm(PlainForm):
    """The search and filters of a list page, read from its query string (a GET form: no CSRF
    token).

    Nothing in it is refused, so a route reads its data without validating it: the page always
    answers with a list. Search text is tidied and cut to its length as it is read (`searched`),
    and `clear_unknown_choices`, called once the choices are set, forgets a choice that no option
    offers (from an old link, or a trust since renamed), so the list is not filtered by it.
    """

    def clear_unknown_choices(self) -> None:
        """Set each choice that is empty or not among its field's options back to its default."""
        for field in self:
            if isinstance(field, SelectFieldBase) and not (
                field.data and any(choice.selected for choice in field.iter_choices())
            ):
                field.data = field.default

    def query_args(self) -> dict[str, str]:
        """The filters chosen, as query-string arguments for links that keep them (other pages of
        the list, a download); a field left at its default is left out."""
        return {
            field.name: str(field.data)
            for field in self
            if field.data and field.data != field.default
        }


def searched(limit: int) -> Callable[[str | None], str]:
    """A field filter for a search box: the text as `search_text` tidies it, at most `limit`
    characters (a longer search is cut, not refused)."""
    return lambda value: search_text(value, limit)


class ConfirmForm(PortalForm):
    """A form with only its CSRF token: a button that confirms one action (publish, withdraw,
    resend, delete …)."""


class WholeNumberField(IntegerField):
    """An integer field whose message for text that is not a number is written for people."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not raw:
            self.raw_data: list[Any] = []  # only spaces is no input: InputRequired asks for one
            return
        try:
            self.data = int(raw)
        except ValueError as exc:
            name = self.label.text.replace(" (optional)", "")
            raise ValueError(f"{name} must be a whole number, like 40") from exc


_PERCENT = re.compile(r"^\d{1,3}(\.\d)?$")


class PercentField(StringField):
    """A percentage from 0 to 100 with at most one decimal place, typed as text ("24.5" or "24.5%")."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        compact = self.raw.removesuffix("%").strip()
        if not _PERCENT.match(compact) or float(compact) > 100:
            raise ValueError(f"{self.label.text} must be a percentage from 0 to 100, like 24.5")
        self.data = float(compact)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data:g}"
