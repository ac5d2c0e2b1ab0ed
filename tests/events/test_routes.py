from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.events.models import EventState, NetworkEvent
from portal.events.service import cancel_event
from portal.extensions import db
from portal.web.dates import programme_year, programme_year_label, today_in_london
from tests.client import HTMX, PortalClient
from tests.events.helpers import form_data, future
from tests.factories import make_event, make_user

# --- Who may do what ---------------------------------------------------------------------


@pytest.fixture
def other_regions_event(app):  # type: ignore[no-untyped-def]
    owner = make_user("coordinator", "owner@example.org", region_slug="north-east")
    published = make_event(owner, "north-east", publish=True)
    draft = make_event(owner, "north-east", title="A draft")
    return published, draft


MANAGER_REQUESTS = [
    ("GET", "/events/{id}/edit"),
    ("POST", "/events/{id}/edit"),
    ("POST", "/events/{id}/publish"),
    ("GET", "/events/{id}/cancel"),
    ("POST", "/events/{id}/cancel"),
    ("GET", "/events/{id}/delete"),
    ("POST", "/events/{id}/delete"),
]


@pytest.mark.parametrize(("method", "path"), MANAGER_REQUESTS)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("which", ["published", "draft"])
def test_a_coordinator_of_another_region_gets_404(
    client: PortalClient, other_regions_event, method: str, path: str, htmx: bool, which: str
) -> None:  # type: ignore[no-untyped-def]
    published, draft = other_regions_event
    event = published if which == "published" else draft
    client.sign_in(make_user("coordinator", "intruder@example.org", region_slug="london"))
    url = path.format(id=event.id)
    headers = HTMX if htmx else {}
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        response = client.post_form(url, {**form_data(), "reason": "x"}, headers=headers)
    assert response.status_code == 404
    db.session.refresh(event)
    assert event.state in (EventState.PUBLISHED, EventState.DRAFT) and event.title != "x"


@pytest.mark.parametrize("role", ["trust", None])
@pytest.mark.parametrize("path", ["/events/new", "/manage/events"])
def test_trust_staff_and_anonymous_visitors_cannot_plan_events(
    client: PortalClient, role: str | None, path: str
) -> None:
    if role:
        client.sign_in(make_user(role))
        assert client.get(path).status_code == 403
        assert client.post_form("/events/new", form_data()).status_code == 403
        assert client.get(path, headers=HTMX).status_code == 403
    else:
        assert client.get(path).status_code == 302
        assert client.get(path, headers=HTMX).headers["HX-Redirect"].startswith("/sign-in")
    assert db.session.query(NetworkEvent).count() == 0


def test_a_coordinator_cannot_ask_to_plan_for_another_region(client: PortalClient) -> None:
    client.sign_in(make_user("coordinator", region_slug="london"))
    assert client.get("/events/new?region=north-east").status_code == 404


def test_drafts_are_seen_only_by_those_who_manage_them(client: PortalClient, app) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("coordinator", "owner@example.org", region_slug="london")
    draft = make_event(owner, title="Secret draft")
    assert client.get(f"/events/{draft.id}").status_code == 404
    for user in (
        make_user("trust"),
        make_user("coordinator", "other@example.org", region_slug="south-west"),
    ):
        viewer = app.test_client()
        viewer.sign_in(user)
        assert viewer.get(f"/events/{draft.id}").status_code == 404
    for user in (owner, make_user("admin")):
        viewer = app.test_client()
        viewer.sign_in(user)
        page = viewer.get(f"/events/{draft.id}").get_data(as_text=True)
        assert "Draft – not published" in page and "Publish event" in page
    assert "Secret draft" not in client.get("/events").get_data(as_text=True)


# --- The coordinator's journey ----------------------------------------------------------------


def test_create_publish_edit_cancel(client: PortalClient) -> None:
    coordinator = make_user("coordinator", region_slug="london")
    client.sign_in(coordinator)
    response = client.post_form("/events/new", form_data(title="Normal birth day"))
    assert response.status_code == 303, response.get_data(as_text=True)
    event = db.session.query(NetworkEvent).one()
    assert response.headers["Location"] == f"/events/{event.id}"
    assert (event.state, event.venue_postcode, event.region.slug) == (
        EventState.DRAFT,
        "LS1 4AP",
        "london",
    )
    assert "Event saved as a draft" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )

    assert client.post_form(f"/events/{event.id}/publish", {}).status_code == 303
    db.session.refresh(event)
    assert event.state is EventState.PUBLISHED
    assert "Normal birth day" in client.get("/events").get_data(as_text=True)

    changed = form_data(title="Normal birth day", start_time="10:00")
    assert client.post_form(f"/events/{event.id}/edit", changed).status_code == 303
    db.session.refresh(event)
    assert event.sequence == 1 and event.start_time.hour == 10

    response = client.post_form(
        f"/events/{event.id}/cancel", {"reason": "The venue is closed for repairs."}
    )
    assert response.status_code == 303
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "This event is cancelled" in page and "The venue is closed for repairs." in page
    assert "Cancelled: <bdi>Normal birth day</bdi>" in client.get("/events").get_data(as_text=True)


def test_delete_a_draft_after_confirming(client: PortalClient) -> None:
    coordinator = make_user("coordinator", region_slug="london")
    draft = make_event(coordinator)
    client.sign_in(coordinator)
    assert "Delete this draft?" in client.get(f"/events/{draft.id}/delete").get_data(as_text=True)
    response = client.post_form(f"/events/{draft.id}/delete", {})
    assert (
        response.status_code == 303
        and response.headers["Location"] == "/manage/events?region=london"
    )
    assert db.session.query(NetworkEvent).count() == 0


def test_htmx_create_redirects_with_hx_location_and_errors_swap_in_place(
    client: PortalClient,
) -> None:
    client.sign_in(make_user("coordinator"))
    bad = client.post_form("/events/new", form_data(title=""), headers=HTMX)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="event-form">') and "Enter a title" in html
    good = client.post_form("/events/new", form_data(), headers=HTMX)
    assert good.status_code == 204 and good.headers["HX-Location"].startswith("/events/")


INVALID = [
    ({"title": ""}, "Enter a title"),
    ({"title": "x" * 121}, "Title must be 120 characters or fewer"),
    ({"summary": ""}, "Enter a summary"),
    (
        {"event_date-day": "31", "event_date-month": "2", "event_date-year": "2027"},
        "Event date must be a real date",
    ),
    ({"event_date-day": "", "event_date-month": "", "event_date-year": ""}, "Enter the event date"),
    (
        {"event_date-day": "1", "event_date-month": "", "event_date-year": "2027"},
        "Event date must include a month",
    ),
    (
        {"event_date-day": "1", "event_date-month": "1", "event_date-year": "2020"},
        "Event date must be today or in the future",
    ),
    (
        {"event_date-day": "a", "event_date-month": "1", "event_date-year": "2027"},
        "Event date must be a real date",
    ),
    ({"start_time": "9am"}, "Start time must be a time in the format HH:MM"),
    ({"start_time": "25:00"}, "Start time must be a time in the format HH:MM"),
    ({"end_time": ""}, "Enter an end time"),
    ({"end_time": "09:00"}, "End time must be after the start time"),
    ({"capacity": "0"}, "Places must be between 1 and 1000"),
    ({"capacity": "1001"}, "Places must be between 1 and 1000"),
    ({"capacity": "forty"}, "Places must be a whole number"),
    ({"capacity": ""}, "Enter the number of places"),
    ({"capacity": "10", "trust_cap": "11"}, "Places per trust must be 10 or fewer"),
    (
        {
            "registration_deadline-day": "1",
            "registration_deadline-month": "1",
            "registration_deadline-year": "2099",
        },
        "Registration must close on or before the event date",
    ),
    ({"venue_postcode": "NOT A CODE"}, "Enter a real postcode"),
    (
        {"venue_name": "", "venue_address": "", "venue_postcode": ""},
        "Enter a venue, an online joining link, or both",
    ),
    ({"online_url": "http://insecure.example/x"}, "full https:// address"),
]


@pytest.mark.parametrize(("changes", "message"), INVALID)
def test_bad_input_gets_422_a_message_by_the_field_and_saves_nothing(
    client: PortalClient, changes: dict[str, str], message: str
) -> None:
    client.sign_in(make_user("coordinator"))
    response = client.post_form("/events/new", form_data(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert message in html
    assert "nhsuk-error-message" in html
    assert db.session.query(NetworkEvent).count() == 0


def test_a_rejected_form_keeps_what_was_typed(client: PortalClient) -> None:
    client.sign_in(make_user("coordinator"))
    html = client.post_form(
        "/events/new", form_data(capacity="0", event_date_day=None, title="Kept title")
    ).get_data(as_text=True)
    assert 'value="Kept title"' in html and 'value="09:30"' in html and 'value="0"' in html


def test_the_form_says_how_many_events_are_planned(client: PortalClient) -> None:
    coordinator = make_user("coordinator")
    make_event(coordinator)
    make_event(coordinator)
    client.sign_in(coordinator)
    label = programme_year_label(programme_year(today_in_london()))
    assert f"2 of 3 events planned for {label}" in client.get("/events/new").get_data(as_text=True)
    assert f"2 of 3 events planned for {label}" in client.get("/manage/events").get_data(
        as_text=True
    )


def test_a_full_region_sees_an_explanation_instead_of_the_form(client: PortalClient) -> None:
    coordinator = make_user("coordinator")
    for _ in range(3):
        make_event(coordinator, event_date=today_in_london() + timedelta(days=1))
    client.sign_in(coordinator)
    html = client.get("/events/new").get_data(as_text=True)
    assert "NHS London has planned all 3 network events" in html
    assert 'name="title"' not in html
    manage = client.get("/manage/events").get_data(as_text=True)
    assert "Plan an event</a>" not in manage and "has planned all 3 events" in manage


def test_posting_to_a_full_region_explains_and_saves_nothing(client: PortalClient) -> None:
    coordinator = make_user("coordinator")
    for _ in range(3):
        make_event(coordinator)
    client.sign_in(coordinator)
    response = client.post_form("/events/new", form_data())
    assert response.status_code == 422
    assert "NHS London has planned all 3 network events" in response.get_data(as_text=True)
    assert db.session.query(NetworkEvent).count() == 3


def test_an_admin_chooses_the_region(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    response = client.post_form("/events/new", form_data(region="south-west"))
    assert response.status_code == 303
    assert db.session.query(NetworkEvent).one().region.slug == "south-west"
    unknown = client.post_form("/events/new", form_data(region="atlantis"))
    assert unknown.status_code == 404


# --- Public pages -----------------------------------------------------------------------------


def test_the_event_page_shows_every_detail_but_never_the_joining_link(client: PortalClient) -> None:
    coordinator = make_user("coordinator")
    event = make_event(
        coordinator, publish=True, online_url="https://meet.example/secret-room", trust_cap=5
    )
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "secret-room" not in html
    assert "Civic Hall" in html and "1 Park Row" in html and "LS1 4AP" in html
    assert "40, up to 5 per trust" in html
    assert f"Registration closes on {(event.event_date - timedelta(days=1)):%A} " in html
    assert "<strong>Case studies</strong>" in html
    assert "secret-room" not in client.get("/events").get_data(as_text=True)


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (date(2027, 1, 14), "Thursday 14 January 2027, 9:30am to 4pm"),
        (date(2027, 7, 15), "Thursday 15 July 2027, 9:30am to 4pm"),
    ],
)
def test_gmt_and_bst_dates_show_the_local_times(
    client: PortalClient, day: date, shown: str
) -> None:
    event = make_event(make_user("coordinator"), publish=True, event_date=day)
    assert shown in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_events_list_filters_by_region_and_time_and_updates_with_htmx(client: PortalClient) -> None:
    london = make_user("coordinator", "l@example.org", region_slug="london")
    north = make_user("coordinator", "n@example.org", region_slug="north-east")
    make_event(london, publish=True, title="London event")
    make_event(north, "north-east", publish=True, title="North East event")
    everything = client.get("/events").get_data(as_text=True)
    assert "London event" in everything and "North East event" in everything
    only_london = client.get("/events?region=london").get_data(as_text=True)
    assert "London event" in only_london and "North East event" not in only_london
    fragment = client.get("/events?region=london", headers=HTMX)
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="event-results"')
    assert "HX-Request" in fragment.headers["Vary"]
    past = client.get("/events?when=past").get_data(as_text=True)
    assert "There are no past events yet" in past


def test_past_events_are_listed_latest_first(client: PortalClient) -> None:
    coordinator = make_user("coordinator")
    for title, days_ago in (("Older", 100), ("Newer", 10)):
        event = make_event(coordinator, publish=True, title=title)
        event.event_date = today_in_london() - timedelta(days=days_ago)
        event.registration_deadline = event.event_date
    db.session.commit()
    html = client.get("/events?when=past").get_data(as_text=True)
    assert html.index("Newer") < html.index("Older")
    assert "Older" not in client.get("/events").get_data(as_text=True)


def test_events_list_paginates_past_20(client: PortalClient, app) -> None:  # type: ignore[no-untyped-def]
    app.config["EVENTS_PER_REGION"] = 30
    try:
        coordinator = make_user("coordinator")
        for n in range(23):
            make_event(
                coordinator, publish=True, title=f"Event number {n:02}", event_date=future(10 + n)
            )
        first = client.get("/events").get_data(as_text=True)
        assert (
            "23 upcoming events" in first
            and "Event number 19" in first
            and "Event number 20" not in first
        )
        assert "Page 2 of 2" in first
        second = client.get("/events?page=2").get_data(as_text=True)
        assert "Event number 22" in second and "Event number 19" not in second
    finally:
        app.config["EVENTS_PER_REGION"] = 3


def test_region_page_and_home_page_list_upcoming_events(client: PortalClient) -> None:
    coordinator = make_user("coordinator")
    event = make_event(coordinator, publish=True, title="Shown everywhere")
    cancelled = make_event(coordinator, publish=True, title="Called off")
    cancel_event(cancelled, "Snow", actor=coordinator)
    make_event(coordinator, title="Still a draft")
    for path in ("/regions/london", "/"):
        html = client.get(path).get_data(as_text=True)
        assert "Shown everywhere" in html and f'href="/events/{event.id}"' in html
        assert "Cancelled: <bdi>Called off</bdi>" in html
        assert "Still a draft" not in html
    assert "Shown everywhere" not in client.get("/regions/north-east").get_data(as_text=True)


def test_event_page_lists_the_regions_other_events(client: PortalClient) -> None:
    coordinator = make_user("coordinator")
    first = make_event(coordinator, publish=True, title="First")
    make_event(coordinator, publish=True, title="Second")
    html = client.get(f"/events/{first.id}").get_data(as_text=True)
    assert "Other events in <bdi>London</bdi>" in html and "Second" in html


def test_unknown_event_is_404(client: PortalClient) -> None:
    assert client.get("/events/999999").status_code == 404


def test_an_event_past_its_deadline_says_registration_is_closed(client: PortalClient) -> None:
    event = make_event(make_user("coordinator"), publish=True, event_date=future(3))
    event.registration_deadline = today_in_london() - timedelta(days=1)
    db.session.commit()
    assert "Registration closed on" in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<dd>Registration closed</dd>" in client.get("/events").get_data(as_text=True)


def test_field_errors_and_rule_errors_come_in_one_round(client: PortalClient) -> None:
    client.sign_in(make_user("coordinator"))
    html = client.post_form("/events/new", form_data(title="", end_time="08:00")).get_data(
        as_text=True
    )
    assert "Enter a title" in html and "End time must be after the start time" in html


def test_an_admin_sees_a_region_choice_on_the_form(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    html = client.get("/events/new?region=south-west").get_data(as_text=True)
    assert '<option value="south-west" selected>NHS South West</option>' in html


def _next_last_sunday(month: int) -> date:
    """The next last Sunday of `month` (when the UK's clocks change) after today."""
    today = today_in_london()
    for year in (today.year, today.year + 1):
        last = date(year, month + 1, 1) - timedelta(days=1)
        sunday = last - timedelta(days=(last.weekday() - 6) % 7)
        if sunday > today:
            return sunday
    raise AssertionError("unreachable")


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("month", "times", "field", "message"),
    [
        (3, ("01:30", "16:00"), "start_time", "There is no 1:30am in the UK on Sunday"),
        (10, ("00:30", "01:15"), "end_time", "1:15am happens twice in the UK on Sunday"),
    ],
    ids=["clocks-forward", "clocks-back"],
)
def test_a_time_that_the_clocks_skip_or_repeat_is_refused_by_its_field(
    client: PortalClient,
    month: int,
    times: tuple[str, str],
    field: str,
    message: str,
    htmx: bool,
) -> None:
    client.sign_in(make_user("coordinator"))
    day = _next_last_sunday(month)
    data = form_data(
        start_time=times[0],
        end_time=times[1],
        **{"event_date-day": str(day.day), "event_date-month": str(month)},
        **{"event_date-year": str(day.year)},
    )
    response = client.post_form("/events/new", data, **({"headers": HTMX} if htmx else {}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html  # said next to the field it is about
    assert db.session.query(NetworkEvent).count() == 0


def test_manage_events_shows_each_events_bookings_and_links_to_its_attendees(
    client: PortalClient,
) -> None:
    from tests.factories import open_event, trust_staff
    from tests.registrations.helpers import book

    event = open_event(capacity=2)  # London, published
    book(event, trust_staff(), 1, 2, 3)
    coordinator = make_user("coordinator", "planner@nhs.example")
    make_event(coordinator, title="Draft day")
    client.sign_in(coordinator)
    html = client.get("/manage/events").get_data(as_text=True)
    assert "2 of 2 booked, 1 waiting" in html
    assert f'href="/events/{event.id}/attendees"' in html
    assert "40, not open for booking yet" in html  # the draft
