"""A coordinator cannot put a line break or a control character in an event's one-line fields
(a title with CR LF would break the event's calendar file); the description keeps its lines."""

from __future__ import annotations

import pytest

from portal.audit.models import AuditEntry
from portal.events.models import NetworkEvent
from portal.extensions import db
from tests.client import PortalClient
from tests.events.helpers import form_data
from tests.factories import make_event, make_user
from tests.web.helpers import HTMX_OR_NOT, NOT_ONE_LINE, ONE_LINE_MESSAGE, field_error


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
@pytest.mark.parametrize(("field", "label"), [("title", "Title"), ("venue_name", "Venue name")])
def test_a_new_event_with_a_control_character_is_refused_and_not_saved(
    client: PortalClient, field: str, label: str, value: str, htmx: bool
) -> None:
    client.sign_in(make_user("coordinator"))
    response = client.post_form("/events/new", form_data(**{field: value}), htmx)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == f"{label} {ONE_LINE_MESSAGE}"
    assert db.session.query(NetworkEvent).count() == 0


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_an_edit_that_puts_a_control_character_in_the_title_changes_nothing(
    client: PortalClient, value: str, htmx: bool
) -> None:
    coordinator = make_user("coordinator")
    event = make_event(coordinator, publish=True, title="Sharing what works")
    entries = db.session.query(AuditEntry).count()
    client.sign_in(coordinator)
    response = client.post_form(f"/events/{event.id}/edit", form_data(title=value), htmx)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "title") == f"Title {ONE_LINE_MESSAGE}"
    db.session.refresh(event)
    assert (event.title, event.sequence) == ("Sharing what works", 0)
    assert db.session.query(AuditEntry).count() == entries


@HTMX_OR_NOT
def test_the_description_and_address_keep_their_line_breaks(
    client: PortalClient, htmx: bool
) -> None:
    client.sign_in(make_user("coordinator"))
    description = "## Programme\r\n\r\n- Welcome\r\n- Case studies"
    response = client.post_form(
        "/events/new",
        form_data(description=description, venue_address="1 Park Row\r\nLeeds"),
        htmx,
    )
    assert response.status_code == (204 if htmx else 303), response.get_data(as_text=True)
    event = db.session.query(NetworkEvent).one()
    assert event.description.splitlines() == ["## Programme", "", "- Welcome", "- Case studies"]
    assert event.venue_address.splitlines() == ["1 Park Row", "Leeds"]


@HTMX_OR_NOT
@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("start_time", "Enter a start time"),
        ("end_time", "Enter an end time"),
        ("capacity", "Enter the number of places"),
    ],
)
@pytest.mark.parametrize("blank", [" ", "\r", "\t \n"])
def test_a_required_box_holding_only_spaces_is_asked_for_and_nothing_is_saved(
    client: PortalClient, field: str, message: str, blank: str, htmx: bool
) -> None:
    client.sign_in(make_user("coordinator"))
    response = client.post_form("/events/new", form_data(**{field: blank}), htmx)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message
    assert db.session.query(NetworkEvent).count() == 0
