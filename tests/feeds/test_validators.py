"""Calendar-level text is escaped, and each feed's validators follow everything its bytes are
built from: the ETag changes exactly when the bytes do, and Last-Modified never goes back."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from ical.calendar_stream import IcsCalendarStream
from werkzeug.http import http_date

from portal.extensions import db
from portal.regions.service import REGION_FIELDS, region_by_slug, update_region
from portal.registrations.service import withdraw
from tests.client import PortalClient
from tests.factories import make_event, make_user, open_event, trust_staff
from tests.feeds.test_feeds import private_url, read_with_icaljs, unfolded
from tests.registrations.helpers import book

AWKWARD = "Yorkshire, the Humber; and \\ co"


def rename(slug: str, name: str) -> None:
    region = region_by_slug(slug)
    assert region is not None
    values = {field: getattr(region, field) for field in REGION_FIELDS}
    assert update_region(region, {**values, "name": name}, actor=None)


def test_calendar_names_and_descriptions_are_escaped_text(app: Flask, client: PortalClient) -> None:
    coordinator = make_user("coordinator", "c@nhs.example", region_slug="yorkshire-and-the-humber")
    make_event(coordinator, "yorkshire-and-the-humber", publish=True)
    rename("yorkshire-and-the-humber", AWKWARD)
    response = client.get("/feeds/regions/yorkshire-and-the-humber.ics")
    assert response.status_code == 200
    lines = unfolded(response.data)
    escaped = "Yorkshire\\, the Humber\\; and \\\\ co network events"
    assert f"NAME:{escaped}" in lines and f"X-WR-CALNAME:{escaped}" in lines
    assert (
        "X-WR-CALDESC:Caesarean section network events in Yorkshire\\, the Humber\\; and \\\\ co."
        in lines
    )
    # Read back as TEXT by a parser that knows RFC 7986's NAME (ical.js leaves it as written).
    calendar = IcsCalendarStream.calendar_from_ics(response.data.decode())
    assert calendar.name == [f"{AWKWARD} network events"]


def test_an_event_title_holding_a_line_break_is_written_escaped(
    app: Flask, client: PortalClient
) -> None:
    coordinator = make_user("coordinator", "c@nhs.example")
    event = make_event(coordinator, publish=True)
    event.title = "Line one\nLine two"  # stored before forms refused line breaks in titles
    db.session.commit()
    response = client.get(f"/events/{event.id}/calendar.ics")
    assert response.status_code == 200
    assert "NAME:Line one\\nLine two" in unfolded(response.data)
    assert IcsCalendarStream.calendar_from_ics(response.data.decode()).name == [
        "Line one\nLine two"
    ]
    assert read_with_icaljs(response.data)["events"][0]["summary"] == "Line one\nLine two"


def test_renaming_a_region_changes_the_etag_of_every_feed_that_shows_it(
    app: Flask, client: PortalClient
) -> None:
    coordinator = make_user("coordinator", "c@nhs.example")
    event = make_event(coordinator, publish=True)
    other = make_user("coordinator", "ne@nhs.example", region_slug="north-east")
    make_event(other, "north-east", publish=True)
    feeds = ["/feeds/events.ics", "/feeds/regions/london.ics", f"/events/{event.id}/calendar.ics"]
    unrelated = "/feeds/regions/north-east.ics"
    before = {path: client.get(path) for path in [*feeds, unrelated]}
    rename("london", "Greater London")
    for path in feeds:
        after = client.get(path)
        assert after.data != before[path].data, path
        assert after.headers["ETag"] != before[path].headers["ETag"], path
        again = client.get(path, headers={"If-None-Match": before[path].headers["ETag"]})
        assert again.status_code == 200 and again.data == after.data, path
    same = client.get(unrelated)
    assert same.data == before[unrelated].data
    assert same.headers["ETag"] == before[unrelated].headers["ETag"]


def test_last_modified_moves_on_when_an_event_leaves_a_private_feed(
    app: Flask, client: PortalClient
) -> None:
    event = open_event(capacity=3)
    staff = trust_staff()
    (booked,) = (outcome.registration for outcome in book(event, staff, 1))
    address = private_url(staff)
    first = client.get(address)
    assert event.uid.encode() in first.data
    withdraw(booked, by="attendee", now=booked.updated_at + timedelta(minutes=5))
    after = client.get(address)
    assert event.uid.encode() not in after.data
    assert after.last_modified is not None and first.last_modified is not None
    assert after.last_modified > first.last_modified
    # A calendar app that sends only If-Modified-Since is given the new feed, not a 304.
    asked = client.get(address, headers={"If-Modified-Since": http_date(first.last_modified)})
    assert asked.status_code == 200 and event.uid.encode() not in asked.data
