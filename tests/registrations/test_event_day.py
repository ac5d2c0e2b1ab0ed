"""The coordinator's event-day kit: a compact check-in list found by name as they type and
filtered by who has arrived; the counts that follow each check-in; the printed register; the CSV
with needs; and, when places are free but a trust's limit keeps its people waiting, offering a
place or giving the trust more places, never beyond the event's capacity."""

from __future__ import annotations

import csv
import io
import re
from datetime import time, timedelta

import pytest
from flask import Flask
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from portal.admin.audit_sentences import Names
from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.events.models import NetworkEvent
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.registrations.event_day import Show, event_day, event_registrations, matches
from portal.registrations.models import Registration, RegistrationState, TrustAllowance
from portal.registrations.service import (
    BookingError,
    book_places,
    offer_place,
    raise_trust_limit,
    set_attended,
    trust_limits,
    trust_limits_for,
    trust_places_left,
    withdraw,
)
from portal.web.dates import today_in_london
from tests.client import HTMX, PortalClient
from tests.factories import make_user, open_event, trust_staff
from tests.registrations.helpers import book, person

TAG = re.compile(r"<[^>]+>")


def words(html: str) -> str:
    return re.sub(r" ([,:.)?])", r"\1", re.sub(r"\s+", " ", TAG.sub(" ", html))).strip()


def coordinator_of(event: NetworkEvent) -> User:
    found = db.session.get(User, event.created_by_id)
    assert found is not None
    return found


def state_of(registration: Registration | None) -> RegistrationState:
    assert registration is not None
    db.session.refresh(registration)
    return registration.state


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def mail_to(address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address))
    )


def start(event: NetworkEvent) -> None:
    """The event began at midnight today."""
    event.registration_deadline = today_in_london() - timedelta(days=1)
    event.event_date = today_in_london()
    event.start_time = time(0, 0)
    db.session.commit()


@pytest.fixture
def held_back(app: Flask):  # type: ignore[no-untyped-def]
    """6 places, 2 per trust: RT1 books four (two wait for its limit), RT2 books one.
    Three places are free while RT1's people wait."""
    staff = trust_staff()
    other = trust_staff("RT2", email="staff@rt2.example")
    event = open_event(capacity=6, trust_cap=2)
    ours = [o.registration for o in book(event, staff, 1, 2, 3, 4)]
    theirs = [o.registration for o in book(event, other, 5)]
    return event, staff, other, ours, theirs


# --- One helper gives every trust's limit ------------------------------------------------------


def test_an_allowance_raises_one_trusts_limit_and_no_other(held_back) -> None:  # type: ignore[no-untyped-def]
    event, staff, other, _ours, _theirs = held_back
    db.session.add(TrustAllowance(event_id=event.id, trust_id=staff.trust_id, places=4))
    db.session.commit()

    limits = trust_limits(event)
    assert limits.of(staff.trust_id) == 4
    assert limits.of(other.trust_id) == 2
    # An allowance below a cap raised since is no limit at all on its own.
    db.session.add(TrustAllowance(event_id=event.id, trust_id=other.trust_id, places=1))
    assert trust_limits(event).of(other.trust_id) == 2
    assert trust_places_left(event, staff.trust, 3) == 2


def test_the_limits_of_many_events_are_read_in_one_query(app: Flask) -> None:
    events = [open_event(capacity=5, trust_cap=2, title=f"Day {n}") for n in range(3)]
    for loaded in events:
        db.session.refresh(loaded)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", count)
    try:
        limits = trust_limits_for(events)
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", count)

    assert len(statements) == 1 and "event_trust_allowances" in statements[0]
    assert all(limits[e.id].cap == 2 for e in events)


def test_bookings_and_the_waiting_list_follow_a_raised_limit(held_back) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    raise_trust_limit(event, staff.trust, 4, actor=coordinator_of(event))
    assert [state_of(r) for r in ours] == [RegistrationState.CONFIRMED] * 4

    # A fifth is held back by the new limit, and told the trust's true number of places.
    fifth = book(event, staff, 6)[0]
    assert fifth.waitlisted and fifth.message == (
        "On the waiting list: your trust's 4 places are all taken"
    )
    assert "all 4 of its places" in mail_to(staff.email)[-1].text_body
    # When one of the trust's people withdraws, the next one has the place: the limit holds.
    withdraw(ours[0], by="trust", actor=staff)
    assert state_of(fifth.registration) is RegistrationState.CONFIRMED


# --- Giving a trust more places -------------------------------------------------------------


def test_raising_a_limit_promotes_oldest_first_audits_and_e_mails(held_back) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    coordinator = coordinator_of(event)
    promoted = raise_trust_limit(event, staff.trust, 3, actor=coordinator)

    assert [r.id for r in promoted] == [ours[2].id]
    assert state_of(ours[2]) is RegistrationState.CONFIRMED
    assert state_of(ours[3]) is RegistrationState.WAITLISTED
    allowance = db.session.get(TrustAllowance, (event.id, staff.trust_id))
    assert allowance is not None and allowance.places == 3
    assert allowance.raised_by_id == coordinator.id
    (raised,) = audit("event.trust_limit_raised")
    assert raised.object_id == str(event.id) and raised.actor_id == coordinator.id
    assert raised.before == {"trust_id": staff.trust_id, "places": 2}
    assert raised.after == {"trust_id": staff.trust_id, "places": 3}
    assert [e.object_id for e in audit("registration.promoted")] == [str(ours[2].id)]
    assert any("A place is now yours" in m.subject for m in mail_to("attendee3@nhs.example"))
    assert not mail_to("attendee4@nhs.example")[1:]  # only the waiting-list e-mail


def test_a_raised_limit_never_fills_more_than_the_capacity(app: Flask) -> None:
    staff = trust_staff()
    other = trust_staff("RT2", email="staff@rt2.example")
    event = open_event(capacity=3, trust_cap=1)
    ours = [o.registration for o in book(event, staff, 1, 2, 3)]
    book(event, other, 4)

    promoted = raise_trust_limit(event, staff.trust, 3, actor=coordinator_of(event))

    assert len(promoted) == 1
    assert [state_of(r) for r in ours] == [
        RegistrationState.CONFIRMED,
        RegistrationState.CONFIRMED,
        RegistrationState.WAITLISTED,
    ]
    confirmed = db.session.scalar(
        select(db.func.count()).where(
            Registration.event_id == event.id,
            Registration.state == RegistrationState.CONFIRMED,
        )
    )
    assert confirmed == 3


@pytest.mark.parametrize(
    ("arrange", "places", "message"),
    [
        ("full", 4, "No place is free"),
        ("started", 4, "This event has started"),
        ("no one waiting", 4, "No one from Trust RT2 NHS Trust is on the waiting list."),
        ("same", 2, "Enter a number more than 2"),
        ("beyond capacity", 7, "cannot have more than the event's 6 places"),
    ],
)
def test_raising_a_limit_is_refused_and_changes_nothing(
    held_back,  # type: ignore[no-untyped-def]
    arrange: str,
    places: int,
    message: str,
) -> None:
    event, staff, other, ours, _theirs = held_back
    trust = staff.trust
    if arrange == "full":
        book(event, trust_staff("RT3", email="staff@rt3.example"), 7, 8)
        book(event, trust_staff("RT4", email="staff@rt4.example"), 9)
    elif arrange == "started":
        start(event)
    elif arrange == "no one waiting":
        trust = other.trust
    entries = db.session.scalar(select(db.func.count()).select_from(AuditEntry))

    with pytest.raises(BookingError, match=re.escape(message)):
        raise_trust_limit(event, trust, places, actor=coordinator_of(event))

    assert db.session.scalars(select(TrustAllowance)).all() == []
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == entries
    assert state_of(ours[2]) is RegistrationState.WAITLISTED


# --- Offering a place ---------------------------------------------------------------------------


def test_offering_a_place_gives_the_trust_one_more_and_confirms_the_person(held_back) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    coordinator = coordinator_of(event)

    offer_place(ours[2], actor=coordinator)

    assert state_of(ours[2]) is RegistrationState.CONFIRMED
    assert state_of(ours[3]) is RegistrationState.WAITLISTED
    assert trust_limits(event).of(staff.trust_id) == 3
    (offered,) = audit("registration.place_offered")
    assert offered.object_id == str(ours[2].id)
    assert offered.after == {"event_id": event.id, "trust_id": staff.trust_id, "places": 3}
    assert [e.object_id for e in audit("registration.promoted")] == [str(ours[2].id)]
    assert any(m.calendar_method == "REQUEST" for m in mail_to("attendee3@nhs.example"))


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        ("not waiting", "Attendee 3 is no longer on the waiting list."),
        ("full", "No place is free"),
        ("started", "This event has started"),
        ("second in line", "Attendee 3, also from Trust RT1 NHS Trust, is ahead of them"),
    ],
)
def test_offering_a_place_is_refused_and_changes_nothing(
    held_back, arrange: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    offered = ours[3] if arrange == "second in line" else ours[2]
    if arrange == "not waiting":
        withdraw(ours[2], by="trust", actor=staff)
    elif arrange == "full":
        book(event, trust_staff("RT3", email="staff@rt3.example"), 7, 8)
        book(event, trust_staff("RT4", email="staff@rt4.example"), 9)
    elif arrange == "started":
        start(event)
    entries = db.session.scalar(select(db.func.count()).select_from(AuditEntry))

    with pytest.raises(BookingError, match=re.escape(message)):
        offer_place(offered, actor=coordinator_of(event))

    assert db.session.scalars(select(TrustAllowance)).all() == []
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == entries
    assert state_of(ours[3]) is RegistrationState.WAITLISTED


def test_the_audit_log_reads_the_new_actions_as_sentences(app: Flask, held_back) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    coordinator = coordinator_of(event)
    offer_place(ours[2], actor=coordinator)
    raise_trust_limit(event, staff.trust, 5, actor=coordinator)
    entries = audit("registration.place_offered") + audit("event.trust_limit_raised")

    with app.test_request_context():
        names = Names(entries, viewer=coordinator)
        sentences = [str(names.sentence(e)) for e in entries]

    assert sentences == [
        "Test Person offered Attendee 3 a free place at “Promoting normal birth: sharing what "
        "works” beyond their trust's places",
        "Test Person let Trust RT1 NHS Trust have up to 5 people at “Promoting normal birth: "
        "sharing what works”",
    ]
    # Ids and numbers only: never an attendee's name or e-mail address.
    for entry in entries:
        assert "Attendee" not in str(entry.before) + str(entry.after)


# --- The check-in list --------------------------------------------------------------------------


@pytest.fixture
def day_one(app: Flask):  # type: ignore[no-untyped-def]
    """Five places, three people confirmed (Ada has arrived), two waiting for a full event."""
    staff = trust_staff()
    event = open_event(capacity=3)
    outcomes = book_places(
        event,
        [
            person(1, name="Ada Okafor", access_needs="Step-free access", dietary_needs="=1+2"),
            person(2, name="Zoë Lindqvist"),
            person(3, name="Cyrus Whitlock"),
            person(4, name="Adam Waits"),
            person(5, name="Bea Waits"),
        ],
        actor=staff,
    )
    registrations = [o.registration for o in outcomes]
    set_attended(registrations[0], True, actor=coordinator_of(event))
    return event, staff, registrations


def test_search_finds_every_word_without_case_or_accents() -> None:
    assert matches("Zoë Lindqvist", "zoe")
    assert matches("Ada Okafor", "ada ok")
    assert matches("Ada Okafor", "  OKAF ")
    assert not matches("Ada Okafor", "ada bea")


@pytest.mark.parametrize(
    ("show", "confirmed", "waiting"),
    [
        (
            Show.EVERYONE,
            ["Ada Okafor", "Cyrus Whitlock", "Zoë Lindqvist"],
            ["Adam Waits", "Bea Waits"],
        ),
        (Show.NOT_ARRIVED, ["Cyrus Whitlock", "Zoë Lindqvist"], []),
        (Show.ARRIVED, ["Ada Okafor"], []),
        (Show.WAITING, [], ["Adam Waits", "Bea Waits"]),
    ],
)
def test_each_filter_shows_its_people(day_one, show: Show, confirmed, waiting) -> None:  # type: ignore[no-untyped-def]
    event, _staff, _registrations = day_one
    day = event_day(event, event_registrations(event), show=show)

    assert [r.attendee_name for r in day.confirmed] == confirmed
    assert [w.registration.attendee_name for w in day.waiting] == waiting
    assert (day.counts.confirmed, day.counts.arrived, day.counts.not_arrived) == (3, 1, 2)
    assert day.counts.waiting == 2


def test_the_page_searches_by_name_with_and_without_htmx(client: PortalClient, day_one) -> None:  # type: ignore[no-untyped-def]
    event, _staff, _registrations = day_one
    client.sign_in(coordinator_of(event))

    page = client.get(f"/events/{event.id}/attendees?q=ada").get_data(as_text=True)
    # A real GET form, with the search and choice filled in, that htmx makes live.
    assert re.search(
        rf'<form method="get" action="/events/{event.id}/attendees"[^>]*role="search"', page
    )
    assert 'hx-trigger="input changed delay:300ms from:#check-in-q, search from:#check-in-q' in page
    assert 'hx-push-url="true"' in page and 'value="ada"' in page
    assert "Ada Okafor" in page and "Adam Waits" in page
    assert "Cyrus Whitlock" not in words(
        page.split('id="check-in-results"')[1].split("Confirmed by trust")[0]
    )

    fragment = client.get(
        f"/events/{event.id}/attendees?q=zoe&show=not-arrived",
        headers={**HTMX, "HX-Target": "check-in-results"},
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="check-in-results">')
    assert "<h1" not in fragment and "Zoë Lindqvist" in fragment and "Ada Okafor" not in fragment
    assert (
        '<p id="check-in-status" hx-swap-oob="innerHTML">1 person matching “zoe”: not arrived yet</p>'
        in fragment
    )

    nobody = client.get(f"/events/{event.id}/attendees?q=xyz").get_data(as_text=True)
    assert "No one matches “xyz”" in nobody


@pytest.mark.parametrize(
    ("show", "empty"),
    [("arrived", "No one has arrived yet"), ("waiting", "No one is waiting")],
)
def test_an_empty_filter_says_so(client: PortalClient, app: Flask, show: str, empty: str) -> None:
    event = open_event(capacity=3)
    book(event, trust_staff(), 1)
    client.sign_in(coordinator_of(event))
    assert empty in client.get(f"/events/{event.id}/attendees?show={show}").get_data(as_text=True)


def test_an_unknown_filter_shows_everyone(client: PortalClient, day_one) -> None:  # type: ignore[no-untyped-def]
    event, _staff, _registrations = day_one
    client.sign_in(coordinator_of(event))
    page = words(client.get(f"/events/{event.id}/attendees?show=nonsense").get_data(as_text=True))
    assert "5 people" in page and "Bea Waits" in page and "Cyrus Whitlock" in page


def test_the_counts_follow_each_check_in(client: PortalClient, day_one) -> None:  # type: ignore[no-untyped-def]
    event, _staff, registrations = day_one
    client.sign_in(coordinator_of(event))
    page = client.get(f"/events/{event.id}/attendees").get_data(as_text=True)
    assert '<dd id="attended-count">1</dd>' in page and '<dd id="not-arrived-count">2</dd>' in page

    answer = client.post_form(
        f"/registrations/{registrations[2].id}/attended", {"attended": "yes"}, htmx=True
    ).get_data(as_text=True)

    assert '<dd id="attended-count" hx-swap-oob="true">2</dd>' in answer
    assert '<dd id="not-arrived-count" hx-swap-oob="true">1</dd>' in answer
    assert "Undo" in answer and "check-in for <bdi>Cyrus Whitlock</bdi>" in answer


def test_a_plain_check_in_comes_back_to_the_same_search(client: PortalClient, day_one) -> None:  # type: ignore[no-untyped-def]
    event, _staff, registrations = day_one
    client.sign_in(coordinator_of(event))
    answer = client.post_form(
        f"/registrations/{registrations[1].id}/attended",
        {"attended": "yes", "q": "zo", "show": "not-arrived"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == (
        f"/events/{event.id}/attendees?q=zo&show=not-arrived#registration-{registrations[1].id}"
    )
    # Tapped twice: still arrived, one audit entry.
    client.post_form(f"/registrations/{registrations[1].id}/attended", {"attended": "yes"})
    assert registrations[1].attended or db.session.get(Registration, registrations[1].id).attended
    assert len(audit("registration.checked_in")) == 2  # Ada's and Zoë's


def test_the_page_says_why_people_wait_while_places_are_free(
    client: PortalClient, held_back
) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    client.sign_in(coordinator_of(event))
    page = words(client.get(f"/events/{event.id}/attendees?show=waiting").get_data(as_text=True))

    assert "3 places are free, but people are waiting" in page
    assert "Trust RT1 NHS Trust: all 2 places used, 2 waiting." in page
    assert "A place is free, but their trust has used its 2 places." in page
    html = client.get(f"/events/{event.id}/attendees?show=waiting").get_data(as_text=True)
    # The offer goes to the trust's next person only; the limit link names the trust.
    assert f'href="/registrations/{ours[2].id}/offer"' in html
    assert f'href="/registrations/{ours[3].id}/offer"' not in html
    assert f'href="/events/{event.id}/trusts/{staff.trust_id}/places"' in html


# --- The register and the CSV ------------------------------------------------------------------


def test_the_register_lists_confirmed_people_by_trust_then_name(
    client: PortalClient, app: Flask
) -> None:
    first = trust_staff("RT1")
    second = trust_staff("RT0", email="staff@rt0.example")
    event = open_event(capacity=5)
    book_places(event, [person(1, name="Zed Ames"), person(2, name="Al Ames")], actor=first)
    book_places(event, [person(3, name="Mo Bell")], actor=second)
    waiting = book_places(
        event,
        [person(4, name="Wait Later"), person(5, name="Wait More"), person(6, name="Not Here")],
        actor=second,
    )
    assert waiting[-1].waitlisted
    client.sign_in(coordinator_of(event))

    html = client.get(f"/events/{event.id}/register").get_data(as_text=True)

    rows = re.findall(r'<th scope="(?:row|rowgroup)"[^>]*><bdi>([^<]+)</bdi>', html)
    assert rows == [
        "Trust RT0 NHS Trust",
        "Mo Bell",
        "Wait Later",
        "Wait More",
        "Trust RT1 NHS Trust",
        "Al Ames",
        "Zed Ames",
    ]
    assert "Not Here" not in html
    assert html.count('class="portal-register__signature"') == 1 + 5
    assert "5 people with a confirmed place" in words(html)


def test_the_print_stylesheet_leaves_out_the_portals_header_and_footer(app: Flask) -> None:
    css = (app.static_folder or "") + "/css/portal.css"
    with open(css, encoding="utf-8") as stylesheet:
        text = stylesheet.read()
    printed = text.split("@media print", 1)[1]
    hidden = printed.split("display: none", 1)[0]
    for part in (".nhsuk-header", ".nhsuk-footer", ".nhsuk-back-link", ".portal-no-print"):
        assert part in hidden


def test_the_csv_has_needs_for_the_coordinator_and_stays_safe(
    client: PortalClient, day_one
) -> None:  # type: ignore[no-untyped-def]
    event, _staff, registrations = day_one
    # Needs erased (their text kept here, to show the export reads the erasure, not the text).
    erased = registrations[1]
    erased.access_needs, erased.needs_erased_at = "Hearing loop", db.func.now()
    db.session.commit()
    client.sign_in(coordinator_of(event))

    response = client.get(f"/events/{event.id}/attendees.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    assert list(rows[0]) == [
        "name",
        "email",
        "job_role",
        "trust",
        "status",
        "booked_at",
        "checked_in_at",
        "access_needs",
        "dietary_needs",
    ]
    ada = next(r for r in rows if r["name"] == "Ada Okafor")
    assert ada["access_needs"] == "Step-free access"
    assert ada["dietary_needs"] == "'=1+2"  # a formula is shown as text, never run
    assert ada["checked_in_at"] != ""
    zoe = next(r for r in rows if r["name"] == "Zoë Lindqvist")
    assert zoe["access_needs"] == ""
    assert len(rows) == 5


# --- The forms over HTTP, with and without htmx ------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_offering_a_place_over_http(client: PortalClient, held_back, htmx: bool) -> None:  # type: ignore[no-untyped-def]
    event, _staff, _other, ours, _theirs = held_back
    client.sign_in(coordinator_of(event))
    page = words(client.get(f"/registrations/{ours[2].id}/offer").get_data(as_text=True))
    assert "Offer a place to Attendee 3?" in page
    assert "has used all 2 of its places" in page and "have 3 people at this event" in page

    answer = client.post_form(f"/registrations/{ours[2].id}/offer", htmx=htmx)

    if htmx:
        assert answer.status_code == 204
        location = answer.headers["HX-Location"]
    else:
        assert answer.status_code == 303
        location = answer.headers["Location"]
    assert location == f"/events/{event.id}/attendees#registration-{ours[2].id}"
    assert state_of(ours[2]) is RegistrationState.CONFIRMED
    landed = words(client.get(location).get_data(as_text=True))
    assert "Attendee 3 has a place and has been told by e-mail." in landed


@pytest.mark.parametrize("htmx", [False, True])
def test_an_offer_that_comes_too_late_is_refused_over_http(
    client: PortalClient, held_back, htmx: bool
) -> None:  # type: ignore[no-untyped-def]
    event, _staff, _other, ours, _theirs = held_back
    client.sign_in(coordinator_of(event))
    # Meanwhile, others take the free places.
    book(event, trust_staff("RT3", email="staff@rt3.example"), 7, 8)
    book(event, trust_staff("RT4", email="staff@rt4.example"), 9)

    answer = client.post_form(f"/registrations/{ours[2].id}/offer", htmx=htmx)

    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "No place is free" in html and "This place cannot be offered" in html
    assert ("<html" in html) is not htmx
    assert state_of(ours[2]) is RegistrationState.WAITLISTED


@pytest.mark.parametrize("htmx", [False, True])
def test_giving_a_trust_more_places_over_http(client: PortalClient, held_back, htmx: bool) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    path = f"/events/{event.id}/trusts/{staff.trust_id}/places"
    client.sign_in(coordinator_of(event))
    form = client.get(path).get_data(as_text=True)
    assert 'name="places"' in form and 'value="4"' in form  # enough for both who wait

    answer = client.post_form(path, {"places": "4"}, htmx=htmx)

    assert answer.status_code == (204 if htmx else 303)
    location = answer.headers["HX-Location" if htmx else "Location"]
    assert location == f"/events/{event.id}/attendees"
    assert [state_of(r) for r in ours] == [RegistrationState.CONFIRMED] * 4
    landed = words(client.get(location).get_data(as_text=True))
    assert "Trust RT1 NHS Trust may now have up to 4 people at this event." in landed
    assert "2 people from the waiting list have a place" in landed


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("places", "message"),
    [
        ("2", "Enter a number more than 2, the places Trust RT1 NHS Trust has now"),
        ("9", "A trust cannot have more than the event&#39;s 6 places"),
        ("lots", "Places for this trust must be a whole number, like 40"),
        ("", "Enter the number of places this trust may have"),
    ],
)
def test_a_wrong_number_of_places_is_refused_next_to_the_field(
    client: PortalClient,
    held_back,  # type: ignore[no-untyped-def]
    htmx: bool,
    places: str,
    message: str,
) -> None:
    event, staff, _other, ours, _theirs = held_back
    client.sign_in(coordinator_of(event))

    answer = client.post_form(
        f"/events/{event.id}/trusts/{staff.trust_id}/places", {"places": places}, htmx=htmx
    )

    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert re.search(r'id="places-error">\s*<span[^>]*>Error: </span>' + re.escape(message), html)
    assert "nhsuk-error-summary" in html and ("<html" in html) is not htmx
    assert f'value="{places}"' in html
    assert state_of(ours[2]) is RegistrationState.WAITLISTED


@pytest.mark.parametrize("htmx", [False, True])
def test_more_places_after_the_start_are_refused_over_http(
    client: PortalClient, held_back, htmx: bool
) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    start(event)
    client.sign_in(coordinator_of(event))
    path = f"/events/{event.id}/trusts/{staff.trust_id}/places"
    assert "This event has started" in client.get(path).get_data(as_text=True)

    answer = client.post_form(path, {"places": "4"}, htmx=htmx)

    assert answer.status_code == 422
    assert "This event has started" in answer.get_data(as_text=True)
    assert state_of(ours[2]) is RegistrationState.WAITLISTED
    assert db.session.scalars(select(TrustAllowance)).all() == []


def test_other_coordinators_and_trust_staff_find_nothing(client: PortalClient, held_back) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, ours, _theirs = held_back
    outsider = make_user("coordinator", "north.west@nhs.example", region_slug="north-west")
    for person_ in (outsider, staff):
        client.sign_in(person_)
        for headers in ({}, HTMX):
            for path in (
                f"/events/{event.id}/register",
                f"/registrations/{ours[2].id}/offer",
                f"/events/{event.id}/trusts/{staff.trust_id}/places",
                f"/events/{event.id}/attendees?q=a",
            ):
                assert client.get(path, headers=headers).status_code == 404, path
            assert (
                client.post_form(f"/registrations/{ours[2].id}/offer", headers=headers).status_code
                == 404
            )
            assert (
                client.post_form(
                    f"/events/{event.id}/trusts/{staff.trust_id}/places",
                    {"places": "4"},
                    headers=headers,
                ).status_code
                == 404
            )
    assert state_of(ours[2]) is RegistrationState.WAITLISTED
    assert db.session.scalars(select(TrustAllowance)).all() == []


def test_a_trust_the_event_is_not_open_to_is_not_found(client: PortalClient, held_back) -> None:  # type: ignore[no-untyped-def]
    event, _staff, _other, _ours, _theirs = held_back
    elsewhere = trust_staff("RX9", slug="north-west", email="staff@rx9.example")
    client.sign_in(coordinator_of(event))
    assert client.get(f"/events/{event.id}/trusts/{elsewhere.trust_id}/places").status_code == 404
    assert client.get(f"/events/{event.id}/trusts/999999/places").status_code == 404


def test_the_booking_page_shows_the_trusts_raised_limit(client: PortalClient, held_back) -> None:  # type: ignore[no-untyped-def]
    event, staff, _other, _ours, _theirs = held_back
    raise_trust_limit(event, staff.trust, 3, actor=coordinator_of(event))
    client.sign_in(staff)
    page = words(client.get(f"/events/{event.id}/book").get_data(as_text=True))
    assert "your trust has booked all 3 of its places" in page
    bookings = words(client.get("/bookings").get_data(as_text=True))
    assert "your trust’s places: 3 of 3 used" in bookings


def test_the_waiting_list_says_when_the_event_has_started(client: PortalClient, held_back) -> None:  # type: ignore[no-untyped-def]
    event, _staff, _other, ours, _theirs = held_back
    start(event)
    client.sign_in(coordinator_of(event))
    html = client.get(f"/events/{event.id}/attendees?show=waiting").get_data(as_text=True)
    assert "places are free, but people are waiting" not in html
    assert f"/registrations/{ours[2].id}/offer" not in html
    assert "This event has started: no one moves from the waiting list" in words(html)


def test_only_confirmed_people_are_checked_in(held_back) -> None:  # type: ignore[no-untyped-def]
    event, _staff, _other, ours, _theirs = held_back
    with pytest.raises(BookingError):
        set_attended(ours[2], True, actor=coordinator_of(event))
