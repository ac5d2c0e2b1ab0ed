from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wtforms import (
    EmailField,
    FieldList,
    FormField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.auth.service import AccountError, normalise_email
from portal.registrations.event_day import SEARCH_LIMIT, Show
from portal.registrations.models import JobRole
from portal.registrations.service import Attendee
from portal.web.forms import FilterForm, PlainForm, PortalForm, WholeNumberField, searched

MAX_ATTENDEES = 20
JOB_ROLE_CHOICES = [SelectChoice("", "Choose a job role")] + [
    SelectChoice(role.value, role.label) for role in JobRole
]
NEEDS_HINT = "This can include health information: tell us only what the event team needs to know."


class AttendeeForm(PlainForm):
    """One person to book (a row of the booking form)."""

    name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter the attendee's full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    email = EmailField(
        "Work e-mail address",
        validators=[
            DataRequired("Enter the attendee's work e-mail address"),
            Length(max=254, message="E-mail address must be 254 characters or fewer"),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    job_role = SelectField(
        "Job role",
        choices=JOB_ROLE_CHOICES,
        validators=[DataRequired("Choose the attendee's job role")],
    )
    access_needs = TextAreaField(
        "Access needs (optional)",
        description=NEEDS_HINT,
        validators=[
            Optional(),
            Length(max=500, message="Access needs must be 500 characters or fewer"),
        ],
        render_kw={"rows": 2},
    )
    dietary_needs = TextAreaField(
        "Dietary needs (optional)",
        description=NEEDS_HINT,
        validators=[
            Optional(),
            Length(max=500, message="Dietary needs must be 500 characters or fewer"),
        ],
        render_kw={"rows": 2},
    )

    def validate_email(self, field: EmailField) -> None:
        if field.data:
            try:
                field.data = normalise_email(field.data)
            except AccountError as exc:
                raise ValidationError(
                    "Enter a work e-mail address in the correct format, like name@nhs.net"
                ) from exc

    def attendee(self) -> Attendee:
        return Attendee(
            name=(self.name.data or "").strip(),
            email=(self.email.data or "").strip().lower(),
            job_role=JobRole(self.job_role.data),
            access_needs=(self.access_needs.data or "").strip(),
            dietary_needs=(self.dietary_needs.data or "").strip(),
        )


class AttendeeList(FieldList):
    """The people of a booking, numbered `attendees-<n>-…` by the page.

    WTForms takes any key whose index passes `str.isdigit()`, which is true of "²", "٣" or five
    thousand nines; `int()` then raises and the request fails with a 500. Only plain ASCII numbers
    of a sensible length are rows: any other key is ignored like any unknown field.
    """

    def _extract_indices(self, prefix: str, formdata: Any) -> Iterator[int]:
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 6:
                    yield int(index)


class BookingForm(PortalForm):
    attendees = AttendeeList(FormField(AttendeeForm), min_entries=1, max_entries=MAX_ATTENDEES)

    def validate_attendees(self, field: FieldList) -> None:
        seen: dict[str, int] = {}
        for index, entry in enumerate(field.entries, start=1):
            email = (entry.form.email.data or "").strip().lower()
            if not email:
                continue
            if email in seen:
                entry.form.email.errors = [
                    *entry.form.email.errors,
                    f"Person {index} has the same e-mail address as person {seen[email]}",
                ]
                raise ValidationError("Each person needs their own e-mail address")
            seen[email] = index

    def people(self) -> list[Attendee]:
        return [entry.form.attendee() for entry in self.attendees.entries]


class ChangeAttendeeForm(PortalForm, AttendeeForm):
    """Correct a booking's details, or send a colleague instead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class CheckInFilterForm(FilterForm):
    """The check-in list's search by name and its choice of whom to show (a GET form)."""

    q = SearchField(
        "Search by name",
        id="check-in-q",
        filters=[searched(SEARCH_LIMIT)],
        render_kw={
            "maxlength": str(SEARCH_LIMIT),
            "autocomplete": "off",
            "spellcheck": "false",
            "enterkeyhint": "search",
        },
    )
    show = SelectField(
        "Show",
        id="check-in-show",
        choices=[SelectChoice(show.value, show.label) for show in Show],
        default=Show.EVERYONE.value,
    )

    @property
    def chosen(self) -> Show:
        return Show.read(self.show.data)


class TrustLimitForm(PortalForm):
    """How many people one trust may have confirmed at one event."""

    places = WholeNumberField(
        "Places for this trust",
        validators=[
            InputRequired("Enter the number of places this trust may have"),
            NumberRange(min=1, max=1000, message="Places must be between 1 and 1000"),
        ],
    )
