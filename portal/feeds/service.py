"""Which events each feed holds, and a cheap validator (ETag) computed without building the feed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from portal.audit.service import record
from portal.auth.models import User
from portal.database import write_transaction
from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, utcnow
from portal.regions.models import Region
from portal.registrations.models import ACTIVE_STATES, Registration
from portal.web.dates import LONDON, today_in_london
from portal.web.kept import KeptValues
from portal.web.pagecache import version_key

#: Bump when the feed's format changes, so that every ETag changes with it.
FEED_FORMAT = "1"
#: Last-Modified of a feed with no events: the programme's start.
PROGRAMME_START = datetime(2008, 4, 1, tzinfo=UTC)
#: How far back the feeds go: events of the last 12 months and everything to come, a cancelled
#: event only until its day has passed. At about 1 KB an event, a feed stays small however many
#: years the programme runs. A single event's own .ics is not windowed.
KEPT_FOR = timedelta(days=365)


@dataclass(frozen=True)
class FeedSpec:
    """A feed: its name, description and the query of its events."""

    key: str
    name: str
    description: str
    query: Select[NetworkEvent]
    #: When the choice of events last changed for a reason the events themselves do not record
    #: (a booking withdrawn takes an event out of a trust's private feed), or None.
    chosen_at: Select[datetime | None] | None = None
    #: Whether the feed holds only the events within KEPT_FOR (every feed but a single event's).
    windowed: bool = True


def _in_feeds() -> Select[NetworkEvent]:
    """Published and cancelled events (never drafts), in date order."""
    return (
        select(NetworkEvent)
        .where(NetworkEvent.state != EventState.DRAFT)
        .order_by(NetworkEvent.event_date, NetworkEvent.start_time, NetworkEvent.id)
    )


@cache
def all_events_feed() -> FeedSpec:
    """The same for every request (a statement is immutable): built once per worker, as polling
    calendar apps ask for it far more often than anything changes."""
    return FeedSpec(
        "all",
        "Caesarean section network events",
        "Network events of the caesarean section Rapid Improvement Programme, in every SHA region.",
        _in_feeds(),
    )


def region_feed(region: Region) -> FeedSpec:
    return FeedSpec(
        f"region:{region.slug}:{region.name}",
        f"{region.name} network events",
        f"Caesarean section network events in {region.name}.",
        _in_feeds().where(NetworkEvent.region_id == region.id),
    )


def event_feed(event: NetworkEvent) -> FeedSpec:
    return FeedSpec(
        f"event:{event.id}",
        event.title,
        f"A caesarean section network event in {event.region.name}.",
        _in_feeds().where(NetworkEvent.id == event.id),
        windowed=False,
    )


def private_feed(user: User) -> FeedSpec:
    """Coordinators: their region's events; the programme team: all events; trust staff: the
    events their trust has booked places at (confirmed or waiting)."""
    query = _in_feeds()
    if user.is_coordinator:
        query = query.where(NetworkEvent.region_id == user.region_id)
    elif not user.is_admin:
        booked = select(Registration.event_id).where(
            Registration.trust_id == user.trust_id, Registration.state.in_(ACTIVE_STATES)
        )
        query = query.where(NetworkEvent.id.in_(booked))
        chosen_at = select(func.max(Registration.updated_at)).where(
            Registration.trust_id == user.trust_id
        )
    return FeedSpec(
        f"private:{user.id}:{user.role.value}:{user.region_id}:{user.trust_id}",
        "My caesarean section network events",
        "Your network events, from the caesarean section network portal. This address is private.",
        query,
        chosen_at if not (user.is_coordinator or user.is_admin) else None,
    )


@dataclass(frozen=True)
class Freshness:
    etag: str
    last_modified: datetime


def _within_window(today: date) -> ColumnElement[bool]:
    return or_(
        and_(
            NetworkEvent.state == EventState.PUBLISHED,
            NetworkEvent.event_date >= today - KEPT_FOR,
        ),
        and_(NetworkEvent.state == EventState.CANCELLED, NetworkEvent.event_date >= today),
    )


def shown(spec: FeedSpec, today: date | None = None) -> Select[NetworkEvent]:
    """The events the feed holds today."""
    if not spec.windowed:
        return spec.query
    return spec.query.where(_within_window(today or today_in_london()))


def left_window_at(spec: FeedSpec, today: date | None = None) -> datetime | None:
    """When the latest event to leave the feed's window left it (the start of that day in
    England), or None: a change to the bytes that no event's own change time records."""
    if not spec.windowed:
        return None
    today = today or today_in_london()
    gone = spec.query.where(~_within_window(today)).subquery()
    published, cancelled = db.session.execute(
        select(
            func.max(gone.c.event_date).filter(gone.c.state == EventState.PUBLISHED.value),
            func.max(gone.c.event_date).filter(gone.c.state == EventState.CANCELLED.value),
        )
    ).one()
    days = [day + KEPT_FOR + timedelta(days=1) for day in [published] if day is not None]
    days += [day + timedelta(days=1) for day in [cancelled] if day is not None]
    if not days:
        return None
    return datetime.combine(max(days), time(0), tzinfo=LONDON).astimezone(UTC)


def freshness(spec: FeedSpec) -> Freshness:
    """Identify the feed's content from a light query (ids, sequences, change times) only.

    The ETag is a function of everything the bytes are built from: the format, the base URL,
    the feed's name and description, and each event with its region (whose name the event's
    categories and description carry). Last-Modified is the latest change to any of them, and
    to the choice of events (`chosen_at`), so that it never goes back when an event leaves.
    """
    subquery = shown(spec).subquery()
    rows = db.session.execute(
        select(
            subquery.c.id,
            subquery.c.sequence,
            subquery.c.updated_at,
            Region.id,
            Region.updated_at,
        ).join(Region, Region.id == subquery.c.region_id)
    ).all()
    digest = hashlib.sha256()
    base_url = current_app.config["PORTAL_BASE_URL"]
    for part in (FEED_FORMAT, base_url, spec.key, spec.name, spec.description):
        digest.update(part.encode() + b"\x00")
    latest = PROGRAMME_START
    for event_id, sequence, updated_at, region_id, region_changed in rows:
        changed = updated_at.astimezone(UTC)
        region_changed = region_changed.astimezone(UTC)
        digest.update(
            f"{event_id}:{sequence}:{changed.isoformat()}:{region_id}:"
            f"{region_changed.isoformat()}\n".encode()
        )
        latest = max(latest, changed, region_changed)
    if spec.chosen_at is not None and (chosen := db.session.scalar(spec.chosen_at)) is not None:
        latest = max(latest, chosen.astimezone(UTC))
    if (left := left_window_at(spec)) is not None:
        latest = max(latest, left)
    return Freshness(f"feed-{digest.hexdigest()[:32]}", latest.replace(microsecond=0))


def current_freshness(spec: FeedSpec) -> Freshness:
    """The feed's validator, reused by this worker while the public data version stays the same.

    The exact validator reads every event of the feed; polling calendar apps ask for it again and
    again while nothing changes. Kept under the data version (see portal/web/pagecache.py), it is
    reused until an event, booking, trust or region changes, or the time window moves on.
    """
    kept: KeptValues[tuple[object, ...], Freshness] = current_app.extensions.setdefault(
        "feed_freshness", KeptValues(64)
    )
    key = (spec.key, *version_key())
    fresh = kept.get(key)
    if fresh is None:
        fresh = freshness(spec)
        kept.put(key, fresh)
    return fresh


def feed_events(spec: FeedSpec) -> list[NetworkEvent]:
    return list(db.session.scalars(shown(spec)))


def feed_token_hash(token: str) -> str:
    """What is stored of a private feed's secret (as for invitation tokens: portal/auth/tokens.py).

    Migration 0010 computes the same hash for addresses made before it: keep the two alike."""
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_feed_token(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.feed_token_hash == feed_token_hash(token)))
    if user is None or not user.active:
        return None
    return user


def reset_feed_token(user: User) -> str:
    """Give the person a new private feed address; the old one stops working at once.

    Only a hash is kept: the token returned is the one copy of the address, to show once."""
    with write_transaction():
        db.session.refresh(user)
        had_one = user.feed_token_hash is not None
        token = secrets.token_urlsafe(32)
        user.feed_token_hash = feed_token_hash(token)
        user.feed_created_at = utcnow()
        record("user.feed_reset" if had_one else "user.feed_created", "user", user.id, actor=user)
        db.session.commit()
    return token
