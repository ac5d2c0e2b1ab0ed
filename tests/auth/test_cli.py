from __future__ import annotations

from flask.testing import FlaskCliRunner

from portal.auth.models import Role, User
from portal.auth.service import authenticate
from portal.extensions import db
from tests.factories import make_trust


def test_create_an_admin_with_a_password_from_stdin(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Lead@Example.org",
            "--role",
            "admin",
            "--name",
            "Lee Lead",
            "--password-stdin",
        ],
        input="a long admin password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created programme team lead@example.org" in result.output
    user = db.session.query(User).filter_by(email="lead@example.org").one()
    assert (user.role, user.name) == (Role.ADMIN, "Lee Lead")
    assert authenticate("lead@example.org", "a long admin password") is not None


def test_create_prompts_for_the_password_twice(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "c@example.org", "--role", "coordinator", "--region", "london"],
        input="a long coordinator password\na long coordinator password\n",
    )
    assert result.exit_code == 0, result.output
    assert "NHS London" in result.output


def test_create_trust_staff_with_a_trust(runner: FlaskCliRunner) -> None:
    make_trust(ods_code="RX1")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "t@example.org",
            "--role",
            "trust",
            "--trust",
            "rx1",
            "--password-stdin",
        ],
        input="a long trust password\n",
    )
    assert result.exit_code == 0, result.output


def test_a_coordinator_without_a_region_is_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "c@example.org", "--role", "coordinator", "--password-stdin"],
        input="a long coordinator password\n",
    )
    assert result.exit_code == 1
    assert "A coordinator needs a region" in result.output
    assert db.session.query(User).count() == 0


def test_trust_staff_without_a_trust_are_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "t@example.org", "--role", "trust", "--password-stdin"],
        input="a long trust password\n",
    )
    assert result.exit_code == 1
    assert "Trust staff need a trust" in result.output


def test_unknown_region_trust_and_role_are_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "c@example.org",
            "--role",
            "coordinator",
            "--region",
            "mercia",
            "--password-stdin",
        ],
        input="a long coordinator password\n",
    )
    assert result.exit_code == 1 and "No region with the slug 'mercia'" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "t@example.org",
            "--role",
            "trust",
            "--trust",
            "ZZZ",
            "--password-stdin",
        ],
        input="a long trust password\n",
    )
    assert result.exit_code == 1 and "No trust with the ODS code 'ZZZ'" in result.output
    result = runner.invoke(args=["users", "create", "x@example.org", "--role", "king"])
    assert result.exit_code == 2 and "'king' is not one of" in result.output


def test_bad_email_short_password_and_duplicates_are_refused(runner: FlaskCliRunner) -> None:
    bad = runner.invoke(
        args=["users", "create", "not-an-address", "--role", "admin", "--password-stdin"],
        input="a long admin password\n",
    )
    assert bad.exit_code == 1 and "Enter a valid e-mail address" in bad.output
    short = runner.invoke(
        args=["users", "create", "a@example.org", "--role", "admin", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    args = ["users", "create", "a@example.org", "--role", "admin", "--password-stdin"]
    assert runner.invoke(args=args, input="a long admin password\n").exit_code == 0
    again = runner.invoke(args=args, input="a long admin password\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_create_has_help(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "--help"])
    assert result.exit_code == 0
    assert "--password-stdin" in result.output and "--region" in result.output
