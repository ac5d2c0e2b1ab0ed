from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.regions.models import Region
from portal.web.dates import DateInputField, TimeField
from portal.web.forms import FilterForm, PortalForm, WholeNumberField

# The shape of a UK postcode (outward code, space optional, inward code), per the GOV.UK
# guidance on postcodes; BFPO and overseas territories are out of scope for NHS venues.
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?\s?[0-9][A-Z]{2}$")


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value or "").upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


class EventForm(PortalForm):
    region = SelectField("Region", choices=[], validate_choice=True)
    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter a title"),
            Length(max=120, message="Title must be 120 characters or fewer"),
        ],
    )
    summary = TextAreaField(
        "Summary",
        description="One or two sentences for event lists and calendars.",
        validators=[
            DataRequired("Enter a summary"),
            Length(max=300, message="Summary must be 300 characters or fewer"),
        ],
        render_kw={"rows": 3},
    )
    description = TextAreaField(
        "Description (optional)",
        description="The programme for the day, who it is for, what to bring. You can use Markdown.",
        validators=[
            Optional(),
            Length(max=10000, message="Description must be 10,000 characters or fewer"),
        ],
        render_kw={"rows": 8},
    )
    event_date = DateInputField("Event date", description="For example, 17 6 2027")
    start_time = TimeField(
        "Start time",
        description="24-hour clock, for example 09:30",
        validators=[InputRequired("Enter a start time")],
    )
    end_time = TimeField(
        "End time",
        description="24-hour clock, for example 16:00",
        validators=[InputRequired("Enter an end time")],
    )
    venue_name = StringField(
        "Venue name",
        validators=[
            Optional(),
            Length(max=160, message="Venue name must be 160 characters or fewer"),
        ],
    )
    venue_address = TextAreaField(
        "Venue address",
        validators=[
            Optional(),
            Length(max=500, message="Venue address must be 500 characters or fewer"),
        ],
        render_kw={"rows": 3, "autocomplete": "off"},
    )
    venue_postcode = StringField(
        "Venue postcode",
        validators=[Optional(), Length(max=10, message="Enter a real postcode, like LS1 4AP")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    online_url = StringField(
        "Online joining link (optional)",
        description="Only confirmed attendees will see this link. It is never shown on public pages.",
        validators=[
            Optional(),
            Length(max=500, message="Joining link must be 500 characters or fewer"),
        ],
        render_kw={"spellcheck": "false", "inputmode": "url"},
    )
    capacity = WholeNumberField(
        "Places",
        description="How many people can attend, from 1 to 1000",
        validators=[
            InputRequired("Enter the number of places"),
            NumberRange(min=1, max=1000, message="Places must be between 1 and 1000"),
        ],
    )
    trust_cap = WholeNumberField(
        "Places per trust (optional)",
        description="Leave empty for no limit per trust",
        validators=[
            Optional(),
            NumberRange(min=1, max=1000, message="Places per trust must be between 1 and 1000"),
        ],
    )
    registration_deadline = DateInputField(
        "Registration closes (optional)",
        description="Booking closes at 11:59pm on this day. Leave empty for the day before the event.",
    )
    open_to_all_regions = BooleanField("Open to trusts from other regions")

    def __init__(self, *args: Any, regions: list[Region] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = regions or []
        self.region.choices = [SelectChoice(r.slug, r.name) for r in regions]
        if len(regions) <= 1:
            # A coordinator plans for their own region only: no choice to make.
            del self.region

    def validate_event_date(self, field: DateInputField) -> None:
        if field.data is None:
            raise ValidationError("Enter the event date")

    def validate_venue_postcode(self, field: StringField) -> None:
        if field.data:
            normalised = normalise_postcode(field.data)
            if not UK_POSTCODE.match(normalised):
                raise ValidationError("Enter a real postcode, like LS1 4AP")
            field.data = normalised

    def validate_online_url(self, field: StringField) -> None:
        if field.data:
            value = field.data.strip()
            parts = urlsplit(value)
            if parts.scheme != "https" or not parts.netloc or " " in value:
                raise ValidationError("Enter the joining link as a full https:// address")
            field.data = value

    def values(self) -> dict[str, Any]:
        """The event's fields as the service expects them."""
        return {
            "title": (self.title.data or "").strip(),
            "summary": (self.summary.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "event_date": self.event_date.data,
            "start_time": self.start_time.data,
            "end_time": self.end_time.data,
            "venue_name": (self.venue_name.data or "").strip(),
            "venue_address": (self.venue_address.data or "").strip(),
            "venue_postcode": (self.venue_postcode.data or "").strip(),
            "online_url": (self.online_url.data or "").strip(),
            "capacity": self.capacity.data,
            "trust_cap": self.trust_cap.data,
            "registration_deadline": self.registration_deadline.data,
            "open_to_all_regions": bool(self.open_to_all_regions.data),
        }


class PublishForm(PortalForm):
    tell_trusts = BooleanField("Tell the trusts that can book, by e-mail", default=True)


class CancelForm(PortalForm):
    reason = TextAreaField(
        "Reason for cancelling",
        description="Shown on the event page and sent to calendars. For example: the venue is no longer available.",
        validators=[
            DataRequired("Enter the reason for cancelling"),
            Length(max=500, message="Reason must be 500 characters or fewer"),
        ],
        render_kw={"rows": 3},
    )


class EventFilterForm(FilterForm):
    """The public list's filters: a region, and upcoming or past events."""

    region = SelectField("Region", choices=[])
    when = RadioField(
        "Show",
        choices=[SelectChoice("upcoming", "Upcoming"), SelectChoice("past", "Past")],
        default="upcoming",
    )

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = {r.slug: r for r in regions}
        self.region.choices = [SelectChoice("", "All regions")] + [
            SelectChoice(r.slug, r.name) for r in regions
        ]
        self.clear_unknown_choices()

    @property
    def chosen_region(self) -> Region | None:
        return self.regions.get(self.region.data or "")

    @property
    def past(self) -> bool:
        return self.when.data == "past"
