"""The public list of events, an event's page with its places, booking box and stories, and a
region's events for those who manage them, with their bookings. Composed here, above events,
registrations and stories, on the events blueprint (its addresses)."""

from __future__ import annotations

from flask import abort, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from portal.assessments.network import focus_by_event, wording_of
from portal.auth.permissions import signed_in
from portal.events import bp
from portal.events.forms import EventFilterForm
from portal.events.service import (
    allowance,
    can_manage_region,
    event_for_viewer,
    events_limit,
    events_used_by_region,
    manageable_regions,
    past_region_events,
    public_events,
    region_events_for_manager,
    upcoming_events,
)
from portal.regions.service import regions_in_order
from portal.registrations.service import booking_closed_reason, can_book, places, places_for
from portal.stories.service import latest_stories
from portal.web.dates import programme_year, programme_year_label, today_in_london
from portal.web.forms import ConfirmForm
from portal.web.htmx import render
from portal.web.lookups import found_or_404
from portal.web.navigation import navigation_link, to
from portal.web.pagecache import public_page

navigation_link("Events", 10, to("events.index"), {"events.index", "events.event"})


@bp.get("/events")
@public_page("regions", "network_events", "registrations")
def index() -> ResponseReturnValue:
    """Upcoming (or past) events, filtered by region; htmx swaps only the results."""
    form = EventFilterForm(request.args, regions=regions_in_order())
    page = request.args.get("page", 1, type=int) or 1
    result = public_events(region=form.chosen_region, past=form.past, page=page)
    return render(
        "events/index.jinja",
        "results",
        form=form,
        args=form.query_args(),
        region=form.chosen_region,
        when=form.when.data,
        result=result,
        places=places_for(result.events),
    )


@bp.get("/events/<int:event_id>")
@public_page("regions", "trusts", "network_events", "registrations", "stories")
def event(event_id: int) -> ResponseReturnValue:
    found = found_or_404(event_for_viewer(current_user, event_id))
    can_manage = can_manage_region(current_user, found.region)
    # The toolkit's wording is for the NHS and its networks: the focus is shown to people
    # signed in (whose pages are never kept for others), never on the public page.
    focus = focus_by_event([found])[found.id] if signed_in(current_user) else []
    return render(
        "events/event.jinja",
        event=found,
        others=upcoming_events(5, region=found.region, exclude=found),
        can_manage=can_manage,
        can_book=can_book(current_user, found),
        booking_closed=booking_closed_reason(found),
        places=places(found),
        # Only managers see a form here: a form's CSRF token would give every visitor a session.
        confirm_form=ConfirmForm() if can_manage else None,
        stories=latest_stories(20, event=found),
        focus=focus,
        focus_wording=wording_of(focus),
    )


#: The region filter's value for every region at once (the programme team's view).
ALL_REGIONS = "all"


@bp.get("/manage/events")
@login_required
def manage() -> ResponseReturnValue:
    """A region's events, drafts included, with their bookings and how many it may still plan."""
    regions = manageable_regions(current_user)
    if not regions:
        abort(403)
    slug = request.args.get("region", "")
    year = programme_year(today_in_london())
    if current_user.is_admin and slug in ("", ALL_REGIONS):
        # The programme team see every region at once, and may choose one.
        used = events_used_by_region(year)
        return render(
            "events/manage_all.jinja",
            regions=regions,
            events=(events := region_events_for_manager(None)),
            places=places_for(events),
            used=used,
            limit=events_limit(),
            year_label=programme_year_label(year),
        )
    region = next((r for r in regions if r.slug == slug), regions[0])
    return render(
        "events/manage.jinja",
        regions=regions,
        region=region,
        this_year=allowance(region, year),
        next_year=allowance(region, year + 1),
        events=(events := region_events_for_manager(region)),
        places=places_for(events),
        past=past_region_events(region),
    )
