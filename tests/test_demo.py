from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from portal.auth.models import Role, User
from portal.auth.service import authenticate
from portal.demo import DEMO_PASSWORD
from portal.events.models import EventState, NetworkEvent
from portal.events.service import allowance
from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.registrations.models import Registration, RegistrationState
from portal.stories.models import Story, StoryState
from portal.web.dates import programme_year, today_in_london
from tests.client import PortalClient
from tests.factories import make_trust, region


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


# --- The demo looks like the programme ---------------------------------------------------


def test_every_region_has_two_participating_trusts_more_that_are_not_and_a_coordinator(
    runner: FlaskCliRunner, client: PortalClient
) -> None:
    result = runner.invoke(args=["demo"])
    regions = db.session.scalars(select(Region).order_by(Region.sort_order)).all()
    assert len(regions) == 10
    for each in regions:
        trusts = db.session.scalars(select(Trust).where(Trust.region_id == each.id)).all()
        assert sum(t.participating for t in trusts) >= 2, each.slug
        assert sum(not t.participating for t in trusts) >= 1, each.slug
        assert each.contact_name and each.contact_is_demo, each.slug
        email = f"coordinator.{each.slug}@example.org"
        assert email in result.output
        coordinator = authenticate(email, DEMO_PASSWORD)
        assert coordinator is not None, each.slug
        assert (coordinator.role, coordinator.region_id) == (Role.COORDINATOR, each.id)
        assert coordinator.name == each.contact_name  # the contact shown is the one who signs in
    assert sum(t.participating for t in db.session.scalars(select(Trust))) == 20

    page = client.get("/regions").get_data(as_text=True)
    assert "0 trusts" not in page
    region_page = client.get("/regions/south-west").get_data(as_text=True)
    assert "Megan Trelawny (demo)" in region_page
    assert "has not been named yet" not in region_page
    client.sign_in(coordinator, DEMO_PASSWORD)  # the last region's coordinator, through the form
    assert "Yorkshire and the Humber" in client.get("/").get_data(as_text=True)


def test_demo_events_in_every_region_past_and_upcoming_with_a_cancellation_and_a_waiting_list(
    runner: FlaskCliRunner,
) -> None:
    runner.invoke(args=["demo"])
    today = today_in_london()
    events = db.session.scalars(select(NetworkEvent)).all()
    for each in db.session.scalars(select(Region)):
        mine = [e for e in events if e.region_id == each.id]
        assert any(e.event_date < today for e in mine), each.slug
        assert any(e.event_date >= today and e.is_published for e in mine), each.slug
    assert len({e.programme_year for e in events}) >= 3
    assert sum(e.state is EventState.CANCELLED for e in events) == 1
    waiting = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.state == RegistrationState.WAITLISTED
        )
    )
    assert waiting


def test_demo_stories_in_every_state_and_every_record_flagged_demo(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["demo"])
    stories = db.session.scalars(select(Story)).all()
    assert {s.state for s in stories} == set(StoryState)
    published = [s for s in stories if s.state is StoryState.PUBLISHED]
    assert len({s.trust.region_id for s in published}) >= 8
    for model in (Trust, User, NetworkEvent, Story):
        assert db.session.scalar(select(func.count()).select_from(model)), model
        assert not db.session.scalars(select(model).where(model.is_demo.is_(False))).all(), model


def test_lists_say_once_that_demo_records_are_invented(
    runner: FlaskCliRunner, client: PortalClient
) -> None:
    runner.invoke(args=["demo"])
    for path, what in (
        ("/", "events and stories"),
        ("/events", "events"),
        ("/stories", "stories"),
        ("/trusts", "trusts"),
        ("/regions/north-west", "events and trusts"),
    ):
        html = client.get(path).get_data(as_text=True)
        assert f"The {what} on this page are invented demo data." in html, path
        assert html.count(">Demo</strong>") == 1, path
    trust = client.get("/trusts/ZD1").get_data(as_text=True)
    assert "This trust and its stories are invented demo data." in trust
    assert trust.count(">Demo</strong>") == 1  # the trust's own tag, by its name


def test_a_real_record_beside_demo_ones_leaves_each_demo_one_tagged(
    runner: FlaskCliRunner, client: PortalClient
) -> None:
    runner.invoke(args=["demo"])
    make_trust("Real Example NHS Trust", "RX9", "north-west", participating=True)
    db.session.commit()
    html = client.get("/regions/north-west").get_data(as_text=True)
    assert "The events and trusts tagged “Demo” on this page are invented demo data." in html
    events_shown = html.count("<dt>When</dt>")
    assert events_shown >= 1
    demo_trusts = db.session.scalar(
        select(func.count(Trust.id)).where(Trust.region == region("north-west"), Trust.is_demo)
    )
    # the notice, then a tag on each demo event and each demo trust
    assert html.count(">Demo</strong>") == 1 + events_shown + demo_trusts
    for name, demo in (("Mersey Vale Teaching Hospitals NHS Trust", True), ("Real Example", False)):
        line = html[html.index(name) :]
        assert (">Demo</strong>" in line[: line.index("</li>")]) is demo, name


def test_about_page_says_what_the_portal_does_now(client: PortalClient) -> None:
    html = client.get("/about").get_data(as_text=True)
    text = " ".join(html.split())
    does = text[text.index("What this portal does") : text.index("cannot give medical advice")]
    for phrase in ("will list", "will publish", " will "):
        assert phrase not in does, phrase
    for phrase in (
        "lists each region's network events, past and upcoming",
        "join its waiting list",
        "calendar feeds",
        "publishes the improvement stories that trusts share",
        "(XmR) charts",
        "by Robson group",
        "assess their service against the toolkit's pathways",
        "cannot give medical advice",
    ):
        assert phrase in text.replace("&#39;", "'"), phrase


def test_a_demo_story_cites_a_characteristic_worded_for_signed_in_people_only(
    runner: FlaskCliRunner, client: PortalClient
) -> None:
    runner.invoke(args=["demo"])
    story = db.session.scalars(
        select(Story).where(Story.title == "A VBAC clinic run by midwives")
    ).one()
    wording = "an invented example about talking through birth options after a caesarean"
    anonymous = " ".join(client.get(f"/stories/{story.id}").get_data(as_text=True).split())
    assert wording not in anonymous
    staff = db.session.scalars(
        select(User).where(User.email == "staff.northgate@example.org")
    ).one()
    client.sign_in(staff, DEMO_PASSWORD)
    signed_in = " ".join(client.get(f"/stories/{story.id}").get_data(as_text=True).split())
    assert wording in signed_in
