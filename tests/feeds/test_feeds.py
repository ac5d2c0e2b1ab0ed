from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from portal.auth.models import User
from portal.config import PROJECT_ROOT
from portal.events.service import cancel_event, update_event
from portal.extensions import db
from portal.feeds.service import reset_feed_token
from tests.client import PortalClient
from tests.events.helpers import event_values
from tests.factories import make_event, make_trust, make_user

LONDON = ZoneInfo("Europe/London")
ICALJS = PROJECT_ROOT / "tests" / "feeds" / "read_with_icaljs.mjs"

# (date, local start, local end): a GMT day, a BST day, and the Sunday the clocks go forward,
# when 00:30 is GMT and 03:30 is already BST.
DAYS = [
    (date(2027, 1, 14), time(9, 30), time(16, 0)),
    (date(2027, 7, 15), time(9, 30), time(16, 0)),
    (date(2027, 3, 28), time(0, 30), time(3, 30)),  # the clocks go forward at 1am
    (date(2027, 10, 31), time(0, 30), time(3, 30)),  # and back at 2am
]


def utc(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=LONDON).astimezone(UTC)


def read_with_icaljs(body: bytes) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(ICALJS)], input=body, capture_output=True, check=True, cwd=PROJECT_ROOT
    )
    return json.loads(result.stdout)


@pytest.fixture
def coordinator(app: Flask) -> User:
    return make_user("coordinator", "coordinator@example.org", region_slug="london")


@pytest.fixture
def three_events(coordinator: User) -> list[Any]:
    events = []
    for day, start, end in DAYS:
        events.append(
            make_event(
                coordinator,
                publish=True,
                event_date=day,
                start_time=start,
                end_time=end,
                title=f"Event on {day}",
            )
        )
    return events


def test_three_independent_parsers_agree_with_zoneinfo(
    client: PortalClient, three_events: list[Any]
) -> None:
    body = client.get("/feeds/events.ics").data
    expected = {
        e.uid: (utc(e.event_date, e.start_time), utc(e.event_date, e.end_time))
        for e in three_events
    }
    assert expected[three_events[2].uid] == (
        datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
        datetime(2027, 3, 28, 2, 30, tzinfo=UTC),
    )
    assert expected[three_events[3].uid] == (  # 00:30 BST, then 03:30 GMT
        datetime(2027, 10, 30, 23, 30, tzinfo=UTC),
        datetime(2027, 10, 31, 3, 30, tzinfo=UTC),
    )

    by_icalendar = {
        str(c["uid"]): (c.decoded("dtstart").astimezone(UTC), c.decoded("dtend").astimezone(UTC))
        for c in Calendar.from_ical(body).walk("VEVENT")
    }
    by_ical = {
        e.uid: (e.dtstart.astimezone(UTC), e.dtend.astimezone(UTC))
        for e in IcsCalendarStream.calendar_from_ics(body.decode()).events
    }
    icaljs = read_with_icaljs(body)
    by_icaljs = {
        e["uid"]: (datetime.fromisoformat(e["start_utc"]), datetime.fromisoformat(e["end_utc"]))
        for e in icaljs["events"]
    }
    assert by_icalendar == expected
    assert by_ical == expected
    assert by_icaljs == expected
    assert {e["start_tzid"] for e in icaljs["events"]} == {"Europe/London"}
    assert icaljs["method"] is None and icaljs["timezones"] == ["Europe/London"]


def raw_lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in body.replace(b"\r\n", b""), "a bare CR"
    return body.split(b"\r\n")[:-1]


def unfolded(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")[:-1]


def test_raw_format(client: PortalClient, three_events: list[Any], coordinator: User) -> None:
    update_event(
        three_events[0],
        {"title": "Ünïcödé, commas; semicolons and a long title " + "x" * 40},
        actor=coordinator,
    )
    body = client.get("/feeds/events.ics").data
    for line in raw_lines(body):
        assert len(line) <= 75, line
    lines = unfolded(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert not any(line.startswith("METHOD") for line in lines)
    for required in (
        "VERSION:2.0",
        "NAME:Caesarean section network events",
        "X-WR-CALNAME:Caesarean section network events",
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
        "X-PUBLISHED-TTL:PT6H",
    ):
        assert required in lines
    assert any(line.startswith("PRODID:") for line in lines)
    tzids = set(re.findall(r";TZID=([^:;]+)", "\n".join(lines)))
    defined = {line[len("TZID:") :] for line in lines if line.startswith("TZID:")}
    assert tzids == defined == {"Europe/London"}
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in lines and not any(
        line.startswith("RDATE") for line in lines
    )
    blocks = "\n".join(lines).split("BEGIN:VEVENT")[1:]
    assert len(blocks) == len(DAYS)
    for block in blocks:
        for name in (
            "UID:",
            "DTSTAMP:",
            "DTSTART;TZID=Europe/London:",
            "DTEND;TZID=Europe/London:",
            "SEQUENCE:",
        ):
            assert "\n" + name in "\n" + block, name
    assert "SUMMARY:Ünïcödé\\, commas\\; semicolons" in "\n".join(lines)
    event = next(
        c for c in Calendar.from_ical(body).walk("VEVENT") if str(c["uid"]) == three_events[0].uid
    )
    assert str(event["summary"]).startswith("Ünïcödé, commas; semicolons")


def test_a_feed_with_no_events_is_still_a_valid_calendar(client: PortalClient) -> None:
    body = client.get("/feeds/events.ics").data
    raw_lines(body)
    assert Calendar.from_ical(body).walk("VTIMEZONE")
    assert IcsCalendarStream.calendar_from_ics(body.decode()).events == []
    assert read_with_icaljs(body)["events"] == []


def test_the_same_data_gives_the_same_bytes(
    client: PortalClient, three_events: list[Any], app_factory: Any
) -> None:
    first = client.get("/feeds/events.ics")
    second = client.get("/feeds/events.ics")
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    other_worker = app_factory(PORTAL_BASE_URL="https://portal.example.org")
    with other_worker.app_context():
        third = other_worker.test_client().get("/feeds/events.ics")
    assert third.data == first.data


def test_http_headers_and_conditional_requests(
    client: PortalClient, three_events: list[Any]
) -> None:
    response = client.get(
        "/feeds/events.ics", headers={"Accept": "text/html, application/xhtml+xml"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert (
        "public" in response.headers["Cache-Control"]
        and "max-age=" in response.headers["Cache-Control"]
    )
    assert "Content-Disposition" not in response.headers
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert client.get("/feeds/events.ics", headers={"If-None-Match": etag}).status_code == 304
    assert (
        client.get("/feeds/events.ics", headers={"If-Modified-Since": modified}).status_code == 304
    )
    not_modified = client.get("/feeds/events.ics", headers={"If-None-Match": etag})
    assert not_modified.data == b"" and not_modified.headers["ETag"] == etag
    assert "Set-Cookie" not in response.headers


def test_editing_the_time_raises_sequence_and_changes_the_etag(
    client: PortalClient, three_events: list[Any], coordinator: User
) -> None:
    before = client.get("/feeds/events.ics")
    update_event(three_events[1], {"start_time": time(10, 0)}, actor=coordinator)
    after = client.get("/feeds/events.ics", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    event = next(
        c
        for c in Calendar.from_ical(after.data).walk("VEVENT")
        if str(c["uid"]) == three_events[1].uid
    )
    assert event["sequence"] == 1
    assert event.decoded("dtstart") == datetime(2027, 7, 15, 10, 0, tzinfo=LONDON)
    assert event.decoded("dtstamp") == three_events[1].updated_at.replace(microsecond=0)


def test_a_cancelled_event_stays_in_the_feed_marked_cancelled(
    client: PortalClient, three_events: list[Any], coordinator: User
) -> None:
    cancel_event(three_events[0], "Snow", actor=coordinator)
    body = client.get("/feeds/events.ics").data
    event = next(
        c for c in Calendar.from_ical(body).walk("VEVENT") if str(c["uid"]) == three_events[0].uid
    )
    assert str(event["status"]) == "CANCELLED"
    assert str(event["summary"]).startswith("Cancelled: ")
    assert event["sequence"] == 1
    assert "Cancelled: Snow" in str(event["description"])
    icaljs = {e["uid"]: e for e in read_with_icaljs(body)["events"]}
    assert icaljs[three_events[0].uid]["status"] == "CANCELLED"


def test_drafts_never_appear(client: PortalClient, coordinator: User) -> None:
    draft = make_event(coordinator, title="Secret draft")
    for path in ("/feeds/events.ics", "/feeds/regions/london.ics"):
        assert b"Secret draft" not in client.get(path).data
    assert client.get(f"/events/{draft.id}/calendar.ics").status_code == 404


def test_public_feeds_hold_no_joining_link_and_no_personal_data(
    client: PortalClient, coordinator: User
) -> None:
    make_event(coordinator, publish=True, online_url="https://meet.example/secret-room-42")
    for path in ("/feeds/events.ics", "/feeds/regions/london.ics"):
        body = client.get(path).data.decode()
        assert "secret-room-42" not in body
        assert "coordinator@example.org" not in body and "Test Person" not in body


def test_region_feed_holds_only_its_region(client: PortalClient, coordinator: User) -> None:
    other = make_user("coordinator", "ne@example.org", region_slug="north-east")
    mine = make_event(coordinator, publish=True)
    theirs = make_event(other, "north-east", publish=True)
    body = client.get("/feeds/regions/london.ics").data.decode()
    assert mine.uid in body and theirs.uid not in body
    assert "X-WR-CALNAME:NHS London network events" in body
    assert client.get("/feeds/regions/mercia.ics").status_code == 404


def test_single_event_download_is_an_attachment(client: PortalClient, coordinator: User) -> None:
    event = make_event(coordinator, publish=True, title="Normal birth: a day of learning")
    response = client.get(f"/events/{event.id}/calendar.ics")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="normal-birth-a-day-of-learning.ics"'
    )
    assert [str(c["uid"]) for c in Calendar.from_ical(response.data).walk("VEVENT")] == [event.uid]


def test_event_urls_come_from_the_base_url(client: PortalClient, coordinator: User) -> None:
    event = make_event(coordinator, publish=True)
    body = client.get("/feeds/events.ics", base_url="http://evil.example").data
    component = Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(component["url"]) == f"https://portal.example.org/events/{event.id}"


# --- The private feed ---------------------------------------------------------------------------


def private_url(user: User) -> str:
    token = reset_feed_token(user)
    db.session.commit()
    return f"/feeds/private/{token}.ics"


def test_private_feed_shows_only_the_persons_events(
    client: PortalClient, coordinator: User
) -> None:
    other = make_user("coordinator", "ne@example.org", region_slug="north-east")
    mine = make_event(coordinator, publish=True)
    theirs = make_event(other, "north-east", publish=True)
    response = client.get(private_url(coordinator))
    assert response.status_code == 200
    assert (
        "private" in response.headers["Cache-Control"]
        and "public" not in response.headers["Cache-Control"]
    )
    uids = {str(c["uid"]) for c in Calendar.from_ical(response.data).walk("VEVENT")}
    assert uids == {mine.uid}
    admin_uids = {
        str(c["uid"])
        for c in Calendar.from_ical(client.get(private_url(make_user("admin"))).data).walk("VEVENT")
    }
    assert admin_uids == {mine.uid, theirs.uid}
    trust_staff = make_user("trust", trust=make_trust())
    assert Calendar.from_ical(client.get(private_url(trust_staff)).data).walk("VEVENT") == []


def test_private_feed_answers_404_after_a_reset_or_deactivation(
    client: PortalClient, coordinator: User
) -> None:
    old = private_url(coordinator)
    new = private_url(coordinator)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    coordinator.active = False
    db.session.commit()
    assert client.get(new).status_code == 404
    assert client.get("/feeds/private/not-a-token.ics").status_code == 404


def test_account_page_creates_shows_and_resets_the_private_address(
    client: PortalClient, coordinator: User
) -> None:
    """The address is in the answer to making it; the account page never shows it again (see
    tests/feeds/test_private_address.py for the rest)."""
    client.sign_in(coordinator)
    assert "Create my calendar address" in client.get("/account").get_data(as_text=True)
    made = client.post_form("/account/calendar-feed")
    assert made.status_code == 200
    first = re.search(r"/feeds/private/([^/.]+)\.ics", made.get_data(as_text=True))
    assert first is not None
    page = made.get_data(as_text=True)
    assert f"https://portal.example.org/feeds/private/{first[1]}.ics" in page
    assert f"webcal://portal.example.org/feeds/private/{first[1]}.ics" in page
    assert first[1] not in client.get("/account").get_data(as_text=True)
    again = client.post_form("/account/calendar-feed").get_data(as_text=True)
    assert "The old address no longer works" in again
    assert first[1] not in again


# --- Links on pages -------------------------------------------------------------------------------


def test_pages_link_their_feeds(client: PortalClient, coordinator: User) -> None:
    event = make_event(coordinator, publish=True)
    pages = {
        "/events": "https://portal.example.org/feeds/events.ics",
        "/events?region=london": "https://portal.example.org/feeds/regions/london.ics",
        "/regions/london": "https://portal.example.org/feeds/regions/london.ics",
        f"/events/{event.id}": "https://portal.example.org/feeds/regions/london.ics",
    }
    for path, feed in pages.items():
        html = client.get(path).get_data(as_text=True)
        assert '<link rel="alternate" type="text/calendar" title="' in html, path
        assert f'href="{feed}"' in html, path
        assert f'href="{feed.replace("https://", "webcal://")}"' in html, path
        assert "calendar.google.com/calendar/r?cid=webcal" in html, path
        assert "outlook.office.com/owa?" in html and "rru=addsubscription" in html, path


def test_event_page_offers_add_to_calendar_links_and_the_download(
    client: PortalClient, coordinator: User
) -> None:
    event = make_event(coordinator, publish=True, event_date=date(2027, 7, 15))
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'href="/events/{event.id}/calendar.ics"' in html
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert "dates=20270715T093000%2F20270715T160000&amp;ctz=Europe%2FLondon" in html
    assert "outlook.office.com/calendar/action/compose?rru=addevent" in html
    assert "startdt=2027-07-15T09%3A30%3A00%2B01%3A00" in html


# --- Every feed read alike -----------------------------------------------------------------------

AWKWARD_TITLES = [
    "Breech, twins; and VBAC: a \\ day",
    'The "normal birth" toolkit – what works 👶',
    "Рождение и кесарево сечение · 剖腹产",
]


def every_reading(body: bytes) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Each parser's reading of every event in a feed, by UID: UTC start and end, summary,
    location, status and sequence."""
    by_icalendar = {
        str(c["uid"]): (
            c.decoded("dtstart").astimezone(UTC),
            c.decoded("dtend").astimezone(UTC),
            str(c["summary"]),
            str(c["location"]),
            str(c["status"]),
            int(c["sequence"]),
        )
        for c in Calendar.from_ical(body).walk("VEVENT")
    }
    by_ical = {
        e.uid: (
            e.dtstart.astimezone(UTC),
            e.dtend.astimezone(UTC),
            e.summary,
            e.location,
            str(e.status.value) if e.status else None,
            e.sequence,
        )
        for e in IcsCalendarStream.calendar_from_ics(body.decode()).events
    }
    by_icaljs = {
        e["uid"]: (
            datetime.fromisoformat(e["start_utc"]),
            datetime.fromisoformat(e["end_utc"]),
            e["summary"],
            e["location"],
            e["status"],
            e["sequence"],
        )
        for e in read_with_icaljs(body)["events"]
    }
    return {"icalendar": by_icalendar, "ical": by_ical, "ical.js": by_icaljs}


def test_every_feed_is_read_alike_by_three_parsers_whatever_the_title_and_the_clock(
    client: PortalClient, coordinator: User
) -> None:
    events = []
    # A region holds three events a programme year: one for each day, the titles in turn.
    for n, (day, start, end) in enumerate(DAYS):
        title = AWKWARD_TITLES[n % len(AWKWARD_TITLES)]
        events.append(
            make_event(
                coordinator,
                publish=True,
                event_date=day,
                start_time=start,
                end_time=end,
                title=f"{title} {n}",
                venue_name="Hall, Room 2; East",
            )
        )
    # One changed (its SEQUENCE rises) and one cancelled.
    update_event(
        events[1],
        event_values(title=events[1].title, venue_name="Hall, Room 2; East", capacity=41),
        actor=coordinator,
    )
    cancel_event(events[2], "Snow; the roads are closed, sorry.", actor=coordinator)

    feeds = [
        "/feeds/events.ics",
        "/feeds/regions/london.ics",
        private_url(coordinator),
        *(f"/events/{event.id}/calendar.ics" for event in events[:3]),
    ]
    for feed in feeds:
        response = client.get(feed)
        assert response.status_code == 200, feed
        read = every_reading(response.data)
        assert read["icalendar"] == read["ical"] == read["ical.js"], feed
        assert read["icalendar"], feed
    whole = every_reading(client.get("/feeds/events.ics").data)["icalendar"]
    for event in events:
        start, end, summary, location, status, sequence = whole[event.uid]
        assert (start, end) == (
            utc(event.event_date, event.start_time),
            utc(event.event_date, event.end_time),
        )
        assert summary.endswith(event.title) and location.startswith("Hall, Room 2; East, ")
        assert (status, sequence) == (
            "CANCELLED" if event.is_cancelled else "CONFIRMED",
            event.sequence,
        )
    assert whole[events[1].uid][5] > 0
