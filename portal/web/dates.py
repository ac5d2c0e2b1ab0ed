"""Dates and times as people in England enter and read them; programme years (April to March)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from wtforms import Field, StringField
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

LONDON = ZoneInfo("Europe/London")


def today_in_london(now: datetime | None = None) -> date:
    return (now or datetime.now(LONDON)).astimezone(LONDON).date()


def programme_year(day: date) -> int:
    """The programme (NHS financial) year a date falls in, named by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


def programme_year_label(start_year: int) -> str:
    """2026 -> '2026–27'."""
    return f"{start_year}–{(start_year + 1) % 100:02d}"


def long_date(day: date) -> str:
    """Tuesday 10 March 2026."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def clock_change_problem(day: date, moment: time) -> str | None:
    """Why a local time on `day` cannot name one instant in the UK, or None.

    When the clocks go forward (the last Sunday in March) the hour from 1am does not exist; when
    they go back (the last Sunday in October) it happens twice. Calendar apps disagree about what
    such a time means, so an event may not start or end in either.
    """
    wall = datetime.combine(day, moment)
    first, second = wall.replace(tzinfo=LONDON, fold=0), wall.replace(tzinfo=LONDON, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    if first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != wall:
        return (
            f"There is no {short_time(moment)} in the UK on {long_date(day)}: the clocks go "
            "forward from 1am to 2am. Choose a time outside that hour"
        )
    return (
        f"{short_time(moment)} happens twice in the UK on {long_date(day)}, when the clocks go "
        "back at 2am. Choose a time outside the hour from 1am"
    )


def short_time(moment: time) -> str:
    """9am, 9:30am, 12pm, 4:15pm (the NHS style guide's way of writing times)."""
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    if moment.minute:
        return f"{hour}:{moment.minute:02d}{suffix}"
    return f"{hour}{suffix}"


def local_instant(day: date, moment: time) -> datetime:
    """The aware instant of a local date and time in England."""
    return datetime.combine(day, moment, tzinfo=LONDON)


class DateInputField(Field):
    """The NHS date input: three boxes (day, month, year) that make one date.

    Form data arrives as `<name>-day`, `<name>-month` and `<name>-year`; what the person typed is
    kept, so that a rejected form shows it again.
    """

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.parts: dict[str, str] = {"day": "", "month": "", "year": ""}
        self.part_errors: set[str] = set()

    def process_formdata(self, valuelist: list[Any]) -> None:  # unused: see process()
        pass

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        # WTForms passes `unset_value` when neither an object nor keyword data gives a value.
        self.data = data if data is not None and data is not unset_value else self.default
        if callable(self.data):
            self.data = self.data()
        if isinstance(self.data, date):
            self.parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": str(self.data.year),
            }
        if formdata is None:
            return
        name = self.label.text.replace(" (optional)", "")
        keys = [f"{self.name}-{part}" for part in ("day", "month", "year")]
        if not any(key in formdata for key in keys):
            return
        self.parts = {
            part: str(formdata.get(f"{self.name}-{part}", ""))[:10].strip()
            for part in ("day", "month", "year")
        }
        self.data = None
        self.part_errors = set()
        if not any(self.parts.values()):
            return
        missing = [part for part, value in self.parts.items() if not value]
        if missing:
            self.part_errors = set(missing)
            self.process_errors.append(f"{name} must include a {' and '.join(missing)}")
            return
        if (
            not all(value.isdigit() for value in self.parts.values())
            or len(self.parts["year"]) != 4
        ):
            self.part_errors = {"day", "month", "year"}
            self.process_errors.append(f"{name} must be a real date")
            return
        try:
            self.data = date(
                int(self.parts["year"]), int(self.parts["month"]), int(self.parts["day"])
            )
        except ValueError:
            self.part_errors = {"day", "month", "year"}
            self.process_errors.append(f"{name} must be a real date")

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation(self.process_errors[0])

    def nhs_items(self) -> list[dict[str, Any]]:
        """The three boxes for the NHS date-input macro, marked when they are in error."""
        widths = {"day": 2, "month": 2, "year": 4}
        items = []
        for part in ("day", "month", "year"):
            in_error = bool(self.errors) and (not self.part_errors or part in self.part_errors)
            items.append(
                {
                    "id": f"{self.id}-{part}",
                    "name": f"{self.name}-{part}",
                    "label": part.capitalize(),
                    "value": self.parts[part],
                    "width": widths[part],
                    "classes": "nhsuk-input--error" if in_error else "",
                    "inputmode": "numeric",
                }
            )
        return items

    @property
    def first_input_id(self) -> str:
        """Where the error summary's link should take focus: the first box in error."""
        for part in ("day", "month", "year"):
            if part in self.part_errors:
                return f"{self.id}-{part}"
        return f"{self.id}-day"


TIME_PATTERN = re.compile(r"^(\d{1,2})[:.](\d{2})$")


class TimeField(StringField):
    """A time of day typed as HH:MM (24-hour clock; 9:30 and 09.30 are accepted too)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()[:10]
        self.data = None
        self.parse_error: str | None = None
        if not self.raw:
            self.raw_data: list[Any] = []  # only spaces is no input: InputRequired asks for one
            return
        match = TIME_PATTERN.match(self.raw)
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour < 24 and minute < 60:
                self.data = time(hour, minute)
                return
        self.parse_error = (
            f"{self.label.text} must be a time in the format HH:MM, like 09:30 or 16:00"
        )

    def pre_validate(self, form: Any) -> None:
        if getattr(self, "parse_error", None):
            raise StopValidation(self.parse_error)

    def _value(self) -> str:
        if getattr(self, "raw", None) is not None and self.raw_data:
            return self.raw
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""
