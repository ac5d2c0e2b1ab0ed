"""How far back the feeds go: the last 12 months and everything to come; a cancelled event until
its day has passed; a single event's own .ics whatever its date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from icalendar import Calendar

from portal.events.service import cancel_event
from portal.extensions import db
from portal.feeds.service import KEPT_FOR, all_events_feed, left_window_at, shown
from portal.web.dates import today_in_london
from tests.client import PortalClient
from tests.factories import make_event, make_user
from tests.feeds.test_feeds import private_url


def uids(body: bytes) -> set[str]:
    return {str(c["uid"]) for c in Calendar.from_ical(body).walk("VEVENT")}


def test_feeds_hold_a_year_back_and_cancelled_events_until_their_day(
    app: Flask, client: PortalClient
) -> None:
    coordinator = make_user("coordinator", "c@nhs.example")
    today = today_in_london()

    def event(days: int, title: str, *, cancelled: bool = False):  # type: ignore[no-untyped-def]
        made = make_event(coordinator, publish=True, title=title)
        if cancelled:
            cancel_event(made, "The venue is closed", actor=coordinator)
        made.event_date = today + timedelta(days=days)  # as time has passed since
        made.registration_deadline = made.event_date - timedelta(days=1)
        return made

    too_old = event(-366, "Thirteen months ago")
    last_year = event(-365, "Twelve months ago")
    gone = event(-1, "Cancelled, yesterday", cancelled=True)
    coming_off = event(1, "Cancelled, tomorrow", cancelled=True)
    ahead = event(30, "Next month")
    db.session.commit()

    kept = {last_year.uid, coming_off.uid, ahead.uid}
    assert uids(client.get("/feeds/events.ics").data) == kept
    assert uids(client.get("/feeds/regions/london.ics").data) == kept
    assert uids(client.get(private_url(make_user("admin", "a@nhs.example"))).data) == kept
    # A single event's own download is not windowed.
    assert uids(client.get(f"/events/{too_old.id}/calendar.ics").data) == {too_old.uid}
    assert uids(client.get(f"/events/{gone.id}/calendar.ics").data) == {gone.uid}


def test_the_moment_an_event_leaves_the_window_counts_as_a_change(app: Flask) -> None:
    """Last-Modified must never go back when an event drops out: the start of the day it left
    is a change to the feed's bytes."""
    coordinator = make_user("coordinator", "c@nhs.example")
    day = date(2027, 6, 10)
    make_event(coordinator, publish=True, event_date=day)
    db.session.commit()
    spec = all_events_feed()
    last_day_in = day + KEPT_FOR
    assert [e.event_date for e in db.session.scalars(shown(spec, last_day_in))] == [day]
    assert left_window_at(spec, last_day_in) is None
    first_day_out = last_day_in + timedelta(days=1)
    assert first_day_out == date(2028, 6, 10)  # 2028 is a leap year
    assert list(db.session.scalars(shown(spec, first_day_out))) == []
    # 10 June 2028 begins in England at 23:00 UTC on the 9th (British Summer Time).
    assert left_window_at(spec, first_day_out) == datetime(2028, 6, 9, 23, 0, tzinfo=UTC)
