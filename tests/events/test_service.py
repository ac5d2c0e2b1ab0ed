from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.events.models import EventState, NetworkEvent
from portal.events.service import (
    EventError,
    NoEventsLeft,
    allowance,
    cancel_event,
    delete_draft,
    publish_event,
    update_event,
    validate_event_values,
)
from portal.extensions import db
from portal.web.dates import programme_year, programme_year_label
from portal.web.markdown import markdown_to_text, render_markdown
from tests.events.helpers import event_values, future
from tests.factories import make_event, make_user, region


@pytest.mark.parametrize(
    ("day", "year", "label"),
    [
        (date(2027, 3, 31), 2026, "2026–27"),
        (date(2027, 4, 1), 2027, "2027–28"),
        (date(2008, 4, 1), 2008, "2008–09"),
        (date(2099, 12, 31), 2099, "2099–00"),
    ],
)
def test_programme_years_run_april_to_march(day: date, year: int, label: str) -> None:
    assert programme_year(day) == year
    assert programme_year_label(year) == label


def test_a_new_event_is_a_draft_holding_a_slot_and_is_audited(app: Flask) -> None:
    coordinator = make_user("coordinator", region_slug="london")
    event = make_event(coordinator)
    assert event.state is EventState.DRAFT
    assert event.slot == 1
    assert event.programme_year == programme_year(event.event_date)
    assert event.registration_deadline == event.event_date - timedelta(days=1)
    assert event.uid.endswith("@cs-network-portal") and len(event.uid) > 30
    assert event.sequence == 0
    entry = db.session.query(AuditEntry).filter_by(action="event.created").one()
    assert entry.actor_id == coordinator.id and entry.after["title"] == event.title


def test_a_region_holds_at_most_three_events_a_programme_year(app: Flask) -> None:
    coordinator = make_user("coordinator", region_slug="london")
    for _ in range(3):
        make_event(coordinator)
    with pytest.raises(NoEventsLeft, match="NHS London has planned all 3 network events"):
        make_event(coordinator)
    assert db.session.query(NetworkEvent).count() == 3
    assert allowance(region("london"), programme_year(future())).sentence.startswith(
        "3 of 3 events"
    )


def test_other_regions_and_other_years_have_their_own_allowance(app: Flask) -> None:
    london = make_user("coordinator", "l@example.org", region_slug="london")
    north = make_user("coordinator", "n@example.org", region_slug="north-east")
    for _ in range(3):
        make_event(london)
    make_event(north, "north-east")
    next_year = date(programme_year(future()) + 1, 6, 1)
    assert make_event(london, event_date=next_year).slot == 1


def test_the_limit_is_a_setting(app: Flask) -> None:
    app.config["EVENTS_PER_REGION"] = 1
    try:
        coordinator = make_user("coordinator")
        make_event(coordinator)
        with pytest.raises(NoEventsLeft, match="all 1 network events"):
            make_event(coordinator)
    finally:
        app.config["EVENTS_PER_REGION"] = 3


def test_cancelling_frees_the_slot(app: Flask) -> None:
    coordinator = make_user("coordinator")
    events = [make_event(coordinator, publish=True) for _ in range(3)]
    cancel_event(events[1], "Venue unavailable", actor=coordinator)
    assert events[1].slot is None
    replacement = make_event(coordinator)
    assert replacement.slot == 2


def test_deleting_a_draft_frees_the_slot(app: Flask) -> None:
    coordinator = make_user("coordinator")
    drafts = [make_event(coordinator) for _ in range(3)]
    delete_draft(drafts[0], actor=coordinator)
    assert make_event(coordinator).slot == 1
    assert db.session.query(AuditEntry).filter_by(action="event.deleted").count() == 1


def test_the_database_refuses_two_events_in_one_slot(app: Flask) -> None:
    coordinator = make_user("coordinator")
    first = make_event(coordinator)
    twin = NetworkEvent(
        region=first.region,
        programme_year=first.programme_year,
        slot=first.slot,
        **{
            k: v
            for k, v in event_values(registration_deadline=future() - timedelta(days=1)).items()
        },
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_coordinator_cannot_plan_for_another_region(app: Flask) -> None:
    coordinator = make_user("coordinator", region_slug="london")
    with pytest.raises(EventError, match="your own region"):
        make_event(coordinator, "north-west")


def test_an_admin_can_plan_for_any_region(app: Flask) -> None:
    admin = make_user("admin")
    assert make_event(admin, "south-west").region.slug == "south-west"


def test_publishing_makes_the_event_public_once(app: Flask) -> None:
    coordinator = make_user("coordinator")
    event = make_event(coordinator)
    publish_event(event, actor=coordinator)
    first_published_at = event.published_at
    publish_event(event, actor=coordinator)
    assert event.state is EventState.PUBLISHED
    assert event.published_at == first_published_at
    assert db.session.query(AuditEntry).filter_by(action="event.published").count() == 1


def test_editing_what_a_calendar_shows_raises_the_sequence_and_is_audited(app: Flask) -> None:
    coordinator = make_user("coordinator")
    event = make_event(coordinator, publish=True)
    update_event(event, {"capacity": 60}, actor=coordinator)
    assert event.sequence == 0
    update_event(event, {"start_time": time(10, 0)}, actor=coordinator)
    assert event.sequence == 1
    update_event(event, {"title": "A new title"}, actor=coordinator)
    assert event.sequence == 2
    edits = (
        db.session.query(AuditEntry).filter_by(action="event.edited").order_by(AuditEntry.id).all()
    )
    assert [e.after for e in edits] == [
        {"capacity": 60},
        {"start_time": "10:00:00"},
        {"title": "A new title"},
    ]
    assert edits[1].before == {"start_time": "09:30:00"}


def test_saving_without_changes_writes_nothing(app: Flask) -> None:
    coordinator = make_user("coordinator")
    event = make_event(coordinator, publish=True)
    update_event(event, {"capacity": event.capacity}, actor=coordinator)
    assert db.session.query(AuditEntry).filter_by(action="event.edited").count() == 0


def test_moving_an_event_into_a_full_year_is_refused(app: Flask) -> None:
    coordinator = make_user("coordinator")
    next_year = programme_year(future()) + 1
    for month in (5, 6, 7):
        make_event(coordinator, event_date=date(next_year, month, 10))
    this_year = make_event(coordinator)
    with pytest.raises(NoEventsLeft):
        update_event(this_year, {"event_date": date(next_year, 8, 10)}, actor=coordinator)
    db.session.refresh(this_year)
    assert this_year.programme_year == programme_year(future())


def test_cancelling_keeps_the_event_with_its_reason_and_raises_the_sequence(app: Flask) -> None:
    coordinator = make_user("coordinator")
    event = make_event(coordinator, publish=True)
    cancel_event(event, "  The venue flooded.  ", actor=coordinator)
    assert event.state is EventState.CANCELLED
    assert event.cancelled_reason == "The venue flooded."
    assert event.cancelled_at is not None and event.sequence == 1
    entry = db.session.query(AuditEntry).filter_by(action="event.cancelled").one()
    assert entry.before == {"state": "published"}
    assert entry.after == {"state": "cancelled", "reason": "The venue flooded."}
    with pytest.raises(EventError, match="cancelled event cannot be changed"):
        update_event(event, {"title": "x"}, actor=coordinator)


def test_drafts_are_deleted_not_cancelled_and_published_events_cancelled_not_deleted(
    app: Flask,
) -> None:
    coordinator = make_user("coordinator")
    draft = make_event(coordinator)
    with pytest.raises(EventError, match="delete it instead"):
        cancel_event(draft, "reason", actor=coordinator)
    published = make_event(coordinator, publish=True)
    with pytest.raises(EventError, match="Only a draft can be deleted"):
        delete_draft(published, actor=coordinator)
    with pytest.raises(EventError, match="Enter the reason"):
        cancel_event(published, "   ", actor=coordinator)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"event_date": date(2020, 1, 1)}, "event_date", "today or in the future"),
        ({"end_time": time(9, 0)}, "end_time", "after the start time"),
        ({"end_time": time(9, 30)}, "end_time", "after the start time"),
        ({"capacity": 10, "trust_cap": 11}, "trust_cap", "10 or fewer"),
        (
            {"event_date": future(60), "registration_deadline": future(61)},
            "registration_deadline",
            "on or before the event date",
        ),
        (
            {"venue_name": "", "venue_address": "", "venue_postcode": ""},
            "venue_name",
            "venue, an online joining link",
        ),
    ],
)
def test_event_rules(overrides: dict[str, object], field: str, message: str) -> None:
    problems = validate_event_values(event_values(**overrides))
    assert list(problems) == [field]
    assert message in problems[field]


def test_an_online_only_event_needs_no_venue() -> None:
    values = event_values(
        venue_name="", venue_address="", venue_postcode="", online_url="https://meet.example/x"
    )
    assert validate_event_values(values) == {}


@pytest.mark.parametrize(
    ("day", "utc_start"),
    [
        (date(2027, 1, 14), datetime(2027, 1, 14, 9, 30, tzinfo=UTC)),  # GMT: UTC+0
        (date(2027, 7, 15), datetime(2027, 7, 15, 8, 30, tzinfo=UTC)),  # BST: UTC+1
    ],
)
def test_local_times_become_the_right_instants_in_gmt_and_bst(
    app: Flask, day: date, utc_start: datetime
) -> None:
    event = make_event(make_user("coordinator"), event_date=day)
    assert event.starts_at == utc_start
    assert event.start_time == time(9, 30)
    assert not event.has_started(utc_start - timedelta(seconds=1))
    assert event.has_started(utc_start)


def test_registration_closes_at_2359_london_time(app: Flask) -> None:
    event = make_event(make_user("coordinator"), event_date=date(2027, 7, 15))
    assert event.registration_closes_at.astimezone(UTC) == datetime(2027, 7, 14, 22, 59, tzinfo=UTC)


def test_markdown_is_rendered_then_sanitised() -> None:
    html = str(
        render_markdown(
            "# Title\n\n<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://nhs.uk)"
        )
    )
    assert "<script>" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert 'href="javascript' not in html
    assert "<h2>Title</h2>" in html
    assert '<a href="https://nhs.uk" rel="noopener noreferrer nofollow">ok</a>' in html
    assert markdown_to_text("**Bold** & <b>tags</b>") == "Bold & <b>tags</b>"
