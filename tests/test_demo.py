from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskCliRunner

from portal.auth.models import Role, User
from portal.auth.service import authenticate
from portal.demo import DEMO_PASSWORD
from portal.events.models import EventState, NetworkEvent
from portal.events.service import allowance
from portal.extensions import db
from portal.regions.models import Trust
from portal.web.dates import programme_year, today_in_london
from tests.factories import region


def test_demo_creates_flagged_data_for_every_role_and_prints_log_ins(
    runner: FlaskCliRunner,
) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert f"password for each: {DEMO_PASSWORD}" in result.output
    for email in (
        "admin@example.org",
        "coordinator.london@example.org",
        "staff.northgate@example.org",
    ):
        assert email in result.output
        assert authenticate(email, DEMO_PASSWORD) is not None
    people = db.session.query(User).all()
    assert {p.role for p in people} == set(Role)
    assert all(p.is_demo for p in people)
    trusts = db.session.query(Trust).all()
    assert len({t.region_id for t in trusts}) >= 3
    assert all(t.is_demo for t in trusts)


def test_demo_is_idempotent(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["demo"])

    def counts() -> tuple[int, int, int]:
        return (
            db.session.query(User).count(),
            db.session.query(Trust).count(),
            db.session.query(NetworkEvent).count(),
        )

    before = counts()
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert counts() == before


def test_demo_events_cover_every_state_and_a_full_region(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["demo"])
    events = db.session.query(NetworkEvent).all()
    assert all(e.is_demo for e in events)
    assert {e.state for e in events} == set(EventState)
    today = today_in_london()
    assert any(e.event_date < today for e in events)
    north_east = region("north-east")
    year = programme_year(today + timedelta(days=14))
    assert allowance(north_east, year).remaining == 0
    assert len({e.region_id for e in events}) >= 4


def test_demo_refuses_to_run_in_production(app_factory: Any) -> None:
    app = app_factory(PRODUCTION=True)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "never loaded in production" in result.output


def test_demo_events_fall_on_weekdays_away_from_christmas(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["demo"])
    for event in db.session.query(NetworkEvent).filter(
        NetworkEvent.event_date >= today_in_london()
    ):
        assert event.event_date.weekday() < 5, event.event_date
        assert (event.event_date.month, event.event_date.day) not in {(12, 25), (12, 26), (1, 1)}
