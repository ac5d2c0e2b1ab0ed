"""A story may say it was presented at an event that has taken place, of its trust's region or
open to every region; the event a story already names stays offered."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from portal.events.models import NetworkEvent
from portal.events.service import cancel_event
from portal.extensions import db
from portal.stories.service import event_choices
from portal.web.dates import today_in_london
from tests.factories import make_event, make_user, trust_staff


def held(event: NetworkEvent, days_ago: int = 30) -> NetworkEvent:
    """Move an event into the past (the service plans events only for the future), counted in
    an earlier programme year, so that the region may plan more in this one."""
    event.event_date = today_in_london() - timedelta(days=days_ago)
    event.registration_deadline = event.event_date - timedelta(days=1)
    event.programme_year -= 1
    event.slot = 100 + event.id  # slots need only be unique here
    db.session.commit()
    return event


def test_only_held_events_of_the_region_or_open_to_all_are_offered(app: Flask) -> None:
    staff = trust_staff("RT1", "london")
    london = make_user("coordinator", "l@nhs.example", region_slug="london")
    north_west = make_user("coordinator", "nw@nhs.example", region_slug="north-west")
    past = held(make_event(london, publish=True, title="London, held"))
    earlier = held(make_event(london, publish=True, title="London, earlier"), days_ago=90)
    make_event(london, publish=True, title="London, to come")
    held(make_event(london, title="London, never published"))
    gone = held(make_event(london, publish=True, title="London, called off"))
    cancel_event(gone, "Snow", actor=london)
    held(make_event(north_west, "north-west", publish=True, title="North West, held"))
    everyone = held(
        make_event(
            north_west, "north-west", publish=True, title="Open to all", open_to_all_regions=True
        )
    )

    offered = [e.title for e in event_choices(staff.trust)]  # type: ignore[arg-type]

    # The latest first; on the same day, the one planned last first.
    assert offered == [everyone.title, past.title, earlier.title]


def test_the_event_a_story_names_stays_offered(app: Flask) -> None:
    staff = trust_staff("RT1", "london")
    london = make_user("coordinator", "l@nhs.example", region_slug="london")
    upcoming = make_event(london, publish=True, title="Named before the rule")

    offered = event_choices(staff.trust, keep=upcoming.id)  # type: ignore[arg-type]

    assert [e.title for e in offered] == ["Named before the rule"]
