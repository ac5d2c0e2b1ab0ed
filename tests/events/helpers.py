"""Small helpers for event tests: form data as a browser sends it, and events made through the service."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from portal.web.dates import today_in_london


def future(days: int = 60) -> date:
    return today_in_london() + timedelta(days=days)


def event_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "Promoting normal birth: sharing what works",
        "summary": "Trusts share their first year with the Pathways to success toolkit.",
        "description": "## Programme\n\n- Welcome\n- **Case studies** from two trusts",
        "event_date": future(),
        "start_time": time(9, 30),
        "end_time": time(16, 0),
        "venue_name": "Civic Hall",
        "venue_address": "1 Park Row\nLeeds",
        "venue_postcode": "LS1 4AP",
        "online_url": "",
        "capacity": 40,
        "trust_cap": None,
        "registration_deadline": None,
        "open_to_all_regions": False,
    }
    values.update(overrides)
    return values


def form_data(**overrides: Any) -> dict[str, str]:
    """The event form's fields as a browser posts them (the date as three boxes)."""
    day = future()
    data = {
        "title": "Promoting normal birth: sharing what works",
        "summary": "Trusts share their first year with the Pathways to success toolkit.",
        "description": "",
        "event_date-day": str(day.day),
        "event_date-month": str(day.month),
        "event_date-year": str(day.year),
        "start_time": "09:30",
        "end_time": "16:00",
        "venue_name": "Civic Hall",
        "venue_address": "1 Park Row\nLeeds",
        "venue_postcode": "ls14ap",
        "online_url": "",
        "capacity": "40",
        "trust_cap": "",
        "registration_deadline-day": "",
        "registration_deadline-month": "",
        "registration_deadline-year": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
