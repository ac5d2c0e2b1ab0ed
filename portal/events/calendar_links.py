"""Links that hand a feed or an event to the calendar apps people use."""

from __future__ import annotations

from urllib.parse import urlencode

from portal.events.calendar import event_location
from portal.events.models import NetworkEvent
from portal.web.urls import absolute_url, webcal_url


def google_subscribe(feed_url: str) -> str:
    """Google Calendar's "add by URL", with the feed filled in."""
    return "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal_url(feed_url)})


def outlook_subscribe(feed_url: str, name: str) -> str:
    """Outlook on the web (outlook.office.com, which NHSmail uses): subscribe from the web."""
    return "https://outlook.office.com/owa?" + urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addsubscription",
            "url": webcal_url(feed_url),
            "name": name,
        }
    )


def _details(event: NetworkEvent) -> str:
    return f"{event.summary}\n\n{absolute_url('events.event', event_id=event.id)}"


def google_add_event(event: NetworkEvent) -> str:
    """One event into Google Calendar, at its local times in Europe/London."""
    dates = f"{event.starts_at:%Y%m%dT%H%M%S}/{event.ends_at:%Y%m%dT%H%M%S}"
    return "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": event.title,
            "dates": dates,
            "ctz": "Europe/London",
            "details": _details(event),
            "location": event_location(event),
        }
    )


def outlook_add_event(event: NetworkEvent) -> str:
    """One event into Outlook on the web; times carry their UTC offset (GMT or BST)."""
    return "https://outlook.office.com/calendar/action/compose?" + urlencode(
        {
            "rru": "addevent",
            "subject": event.title,
            "startdt": event.starts_at.isoformat(),
            "enddt": event.ends_at.isoformat(),
            "body": _details(event),
            "location": event_location(event),
        }
    )
