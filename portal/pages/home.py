"""What a signed-in person sees at `/`: what needs doing now, for their role. Composed here, above
events, registrations, stories, auth and mail; the public home stays for visitors."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from portal.assessments.network import focus_by_event, latest_priorities
from portal.assessments.rounds import overdue_actions
from portal.auth.models import User
from portal.auth.people import invited_in_region
from portal.events.models import NetworkEvent
from portal.events.service import (
    events_limit,
    events_used_by_region,
    upcoming_events_open_to,
    year_slots,
)
from portal.mail.models import MailStatus
from portal.mail.service import outbox_counts
from portal.regions.models import Trust
from portal.regions.service import regions_in_order
from portal.registrations.service import places_for, trust_places_at, upcoming_bookings_by_region
from portal.stories.models import StoryState
from portal.stories.service import review_queue, stories_in_progress, story_counts_by_region
from portal.web.dates import programme_year, programme_year_label, today_in_london
from portal.web.htmx import render
from portal.web.pagecache import kept_while_unchanged


def role_home(person: User) -> ResponseReturnValue:
    """The person's home (every trust staff member has a trust, every coordinator a region: the
    users table's role check holds them to it)."""
    if person.is_trust_staff and person.trust is not None:
        return _trust_home(person)
    if person.is_coordinator and person.region is not None:
        return _coordinator_home(person)
    return _programme_home(person)


def _trust_home(person: User) -> ResponseReturnValue:
    trust = person.trust
    assert trust is not None
    events = upcoming_events_open_to(trust.region)
    return render(
        "pages/home_trust.jinja",
        trust=trust,
        events=events,
        at=trust_places_at(events, trust),
        stories=stories_in_progress(trust),
        overdue_actions=overdue_actions(trust),
        priorities=_priorities_and_events(trust, events),
    )


def _priorities_and_events(
    trust: Trust, events: list[NetworkEvent]
) -> list[tuple[str, str, list[NetworkEvent]]]:
    """Each priority of the trust's latest round (code, wording) with the events to come that it
    may book and that focus on it."""
    focus = focus_by_event(events)
    return [
        (code, wording, [e for e in events if (pathway, code) in focus[e.id]])
        for (pathway, code), wording in latest_priorities(trust)
    ]


def _coordinator_home(person: User) -> ResponseReturnValue:
    region = person.region
    assert region is not None
    year = programme_year(today_in_london())
    years = year_slots(region, [year, year + 1])
    upcoming = [e for slots in years for e in slots.planned + slots.published]
    upcoming.sort(key=lambda e: (e.event_date, e.start_time, e.id))
    return render(
        "pages/home_coordinator.jinja",
        region=region,
        years=years,
        upcoming=upcoming,
        places=places_for(upcoming),
        review=review_queue(person),
        invited=invited_in_region(region),
    )


def _programme_home(person: User) -> ResponseReturnValue:
    year = programme_year(today_in_london())
    counts = outbox_counts()
    return render(
        "pages/home_programme.jinja",
        regions=regions_in_order(),
        year=programme_year_label(year),
        used=events_used_by_region(year),
        limit=events_limit(),
        # Whole-table counts, the same for every admin: kept until bookings or stories change.
        bookings=kept_while_unchanged(
            "upcoming bookings by region",
            frozenset({"network_events", "registrations"}),
            upcoming_bookings_by_region,
        ),
        stories=kept_while_unchanged(
            "stories by region", frozenset({"stories", "trusts"}), story_counts_by_region
        ),
        review=len(review_queue(person)),
        published=StoryState.PUBLISHED,
        submitted=StoryState.SUBMITTED,
        failed_mail=counts[MailStatus.FAILED],
        waiting_mail=counts[MailStatus.PENDING],
    )
