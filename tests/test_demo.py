from __future__ import annotations

from typing import Any

from flask.testing import FlaskCliRunner

from portal.auth.models import Role, User
from portal.auth.service import authenticate
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.regions.models import Trust


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
    counts = (db.session.query(User).count(), db.session.query(Trust).count())
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert (db.session.query(User).count(), db.session.query(Trust).count()) == counts


def test_demo_refuses_to_run_in_production(app_factory: Any) -> None:
    app = app_factory(PRODUCTION=True)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "never loaded in production" in result.output
