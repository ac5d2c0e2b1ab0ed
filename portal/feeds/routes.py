from __future__ import annotations

import re

from flask import Response
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from portal.auth.forms import ChangePasswordForm, NameForm
from portal.events.calendar import REFRESH_INTERVAL, build_calendar
from portal.events.models import NetworkEvent
from portal.events.service import public_event
from portal.extensions import csrf
from portal.feeds import bp
from portal.feeds.service import (
    FeedSpec,
    all_events_feed,
    current_freshness,
    event_feed,
    feed_events,
    private_feed,
    region_feed,
    reset_feed_token,
    user_for_feed_token,
)
from portal.regions.service import region_by_slug
from portal.web.conditional import answer_conditionally
from portal.web.htmx import render
from portal.web.kept import KeptValues
from portal.web.lookups import found_or_404
from portal.web.urls import absolute_url

PUBLIC_MAX_AGE = int(REFRESH_INTERVAL.total_seconds() // 6)  # an hour: proxies may share it


# The last few feeds built by this worker, by ETag. The ETag identifies the content exactly (see
# `freshness`), so a kept body is never stale; calendar apps that poll without a conditional
# header get it without a rebuild. Nothing here needs sharing between workers.
built_feeds: KeptValues[str, bytes] = KeptValues(16)


def _event_url(event: NetworkEvent) -> str:
    return absolute_url("events.event", event_id=event.id)


def calendar_response(
    spec: FeedSpec, *, private: bool = False, filename: str | None = None
) -> Response:
    """The feed, or 304 when the client's copy is current (decided before building anything).

    Calendar apps send all sorts of Accept headers; the answer is text/calendar whatever they say.
    """
    fresh = current_freshness(spec)
    response = Response(status=200)
    response.content_type = "text/calendar; charset=utf-8"
    if private:
        response.cache_control.private = True
        response.cache_control.max_age = 0
        response.cache_control.must_revalidate = True
    else:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'

    def body() -> bytes:
        built = built_feeds.get(fresh.etag)
        if built is None:
            built = build_calendar(spec.name, spec.description, feed_events(spec), _event_url)
            built_feeds.put(fresh.etag, built)
        return built

    return answer_conditionally(response, body, etag=fresh.etag, last_modified=fresh.last_modified)


@bp.get("/feeds/events.ics")
def all_events() -> ResponseReturnValue:
    return calendar_response(all_events_feed())


@bp.get("/feeds/regions/<slug>.ics")
def region(slug: str) -> ResponseReturnValue:
    return calendar_response(region_feed(found_or_404(region_by_slug(slug))))


@bp.get("/events/<int:event_id>/calendar.ics")
def event(event_id: int) -> ResponseReturnValue:
    found = found_or_404(public_event(event_id))
    slug = re.sub(r"[^a-z0-9]+", "-", found.title.lower()).strip("-")[:60] or "event"
    return calendar_response(event_feed(found), filename=f"{slug}.ics")


@bp.get("/feeds/private/<token>.ics")
@csrf.exempt
def private(token: str) -> ResponseReturnValue:
    return calendar_response(private_feed(found_or_404(user_for_feed_token(token))), private=True)


@bp.post("/account/calendar-feed")
@login_required
def reset() -> ResponseReturnValue:
    """Make a new private address and show it, this once: only its hash is kept, so no later
    page can show it again. The answer is the account page (its calendar feed section for htmx)
    rather than a redirect, so that the address never has to be kept anywhere to be shown."""
    replaced = current_user.feed_token_hash is not None
    token = reset_feed_token(current_user)
    return render(
        "auth/account.jinja",
        "calendar_feed",
        name_form=NameForm(formdata=None, name=current_user.name),
        password_form=ChangePasswordForm(formdata=None),
        new_feed_url=absolute_url("feeds.private", token=token),
        new_feed_name=private_feed(current_user).name,
        feed_replaced=replaced,
    )
