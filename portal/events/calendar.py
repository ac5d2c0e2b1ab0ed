"""iCalendar (RFC 5545, RFC 7986) output for network events: deterministic bytes for the same data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vRecur,
    vText,
)

from portal.events.models import NetworkEvent
from portal.web.dates import LONDON
from portal.web.markdown import markdown_to_text

PRODID = "-//NHS Institute for Innovation and Improvement//Caesarean section network portal//EN"
#: How often calendar apps should poll a feed (RFC 7986 REFRESH-INTERVAL, and Outlook's X-PUBLISHED-TTL).
REFRESH_INTERVAL = timedelta(hours=6)
TZID = "Europe/London"


def london_timezone() -> Timezone:
    """Europe/London as a VTIMEZONE with yearly rules (Outlook mishandles long RDATE lists).

    UK clocks change at 01:00 UTC on the last Sunday of March (to BST, UTC+1) and of October
    (back to GMT): the EU rule the UK has followed since 1996.
    """
    zone = Timezone()
    zone.add("tzid", TZID)
    zone.add("x-lic-location", TZID)
    daylight = TimezoneDaylight()
    daylight.add("tzname", "BST")
    daylight.add("tzoffsetfrom", timedelta(hours=0))
    daylight.add("tzoffsetto", timedelta(hours=1))
    daylight.add("dtstart", datetime(1981, 3, 29, 1, 0, 0))
    daylight.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    standard = TimezoneStandard()
    standard.add("tzname", "GMT")
    standard.add("tzoffsetfrom", timedelta(hours=1))
    standard.add("tzoffsetto", timedelta(hours=0))
    standard.add("dtstart", datetime(1996, 10, 27, 2, 0, 0))
    standard.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    zone.add_component(daylight)
    zone.add_component(standard)
    return zone


def event_location(event: NetworkEvent) -> str:
    """The venue on one line, or 'Online'. Never the joining link."""
    parts = [event.venue_name, *event.venue_address.splitlines(), event.venue_postcode]
    venue = ", ".join(p.strip() for p in parts if p and p.strip())
    if venue and event.is_online:
        return f"{venue} (or online)"
    return venue or "Online"


def event_description(event: NetworkEvent, url: str) -> str:
    lines = []
    if event.is_cancelled:
        lines += [f"Cancelled: {event.cancelled_reason}", ""]
    lines.append(event.summary)
    details = markdown_to_text(event.description)
    if details:
        lines += ["", details]
    lines += ["", f"Region: {event.region.name}", f"Details and booking: {url}"]
    return "\n".join(lines)


def _instant(value: datetime) -> datetime:
    """UTC to the second: calendars need no more, and the output stays stable."""
    return value.astimezone(UTC).replace(microsecond=0)


def vevent(
    event: NetworkEvent,
    url: str,
    *,
    uid: str | None = None,
    sequence: int | None = None,
    stamp: datetime | None = None,
) -> Event:
    """The event as the feeds show it: its UID and SEQUENCE, stamped with its last change; an
    invitation gives the attendee's own UID, SEQUENCE and the message's time instead."""
    component = Event()
    component.add("uid", uid or event.uid)
    component.add("dtstamp", _instant(stamp or event.updated_at))
    component.add("created", _instant(event.created_at))
    component.add("last-modified", _instant(event.updated_at))
    component.add("sequence", event.sequence if sequence is None else sequence)
    title = f"Cancelled: {event.title}" if event.is_cancelled else event.title
    component.add("summary", title)
    component.add("dtstart", event.starts_at.replace(tzinfo=LONDON))
    component.add("dtend", event.ends_at.replace(tzinfo=LONDON))
    component.add("description", event_description(event, url))
    component.add("location", event_location(event))
    component.add("url", url)
    component.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    component.add("transp", "OPAQUE")
    component.add("categories", ["Network event", event.region.short_name])
    return component


def build_calendar(
    name: str,
    description: str,
    events: Iterable[NetworkEvent],
    url_for_event: Callable[[NetworkEvent], str],
) -> bytes:
    """A whole calendar: always a VTIMEZONE (so even an empty feed has a component), no METHOD."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # TEXT values (RFC 5545 3.3.11): commas, semicolons, backslashes and line breaks escaped.
    # icalendar escapes only the properties it knows, and NAME and the X-WR ones it does not.
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    calendar.add("description", vText(description))
    calendar.add("x-wr-caldesc", vText(description))
    calendar.add("x-wr-timezone", TZID)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    calendar.add_component(london_timezone())
    for event in events:
        calendar.add_component(vevent(event, url_for_event(event)))
    return calendar.to_ical()


def attendee_common_name(name: str) -> str:
    """A person's name as an attendee's CN parameter: a quoted value can hold no double quote,
    and RFC 6868's escape for one (^') is read differently by different calendar apps, so a
    double quote becomes a single one. Nothing (no CN at all) when the name is empty."""
    return " ".join(name.replace('"', "'").split())


def invitation(
    event: NetworkEvent,
    *,
    method: str,
    uid: str,
    sequence: int,
    stamp: datetime,
    attendee_name: str,
    attendee_email: str,
    organizer: str,
    url: str,
    joining_link: str = "",
) -> bytes:
    """An iTIP invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL) for one attendee.

    The attendee's own entry, not the feeds' (RFC 5546 3.2): its `uid`, with a `sequence` higher
    than any earlier message about it (so a calendar can order an invitation, an update, a
    cancellation and a re-invitation), and DTSTAMP `stamp`, when the message was made. The
    event's URL links it to the feeds' entry. The attendee with RSVP=FALSE (there is nothing to
    accept: the place is booked); the organiser a monitored programme mailbox. The joining link
    of an online event goes only into the attendee's copy.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(method)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(london_timezone())
    component = vevent(event, url, uid=uid, sequence=sequence, stamp=stamp)
    if method == "CANCEL":
        component["status"] = vText("CANCELLED")
    if joining_link and method == "REQUEST":
        component["description"] = vText(
            event_description(event, url) + f"\n\nJoin online: {joining_link}"
        )
    organizer_property = vCalAddress(f"mailto:{organizer}")
    organizer_property.params["cn"] = vText("Caesarean section network programme")
    component.add("organizer", organizer_property)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    if common_name := attendee_common_name(attendee_name):
        attendee.params["cn"] = vText(common_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    component.add("attendee", attendee, encode=False)
    calendar.add_component(component)
    return calendar.to_ical()
