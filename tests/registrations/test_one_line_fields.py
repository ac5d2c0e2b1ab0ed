"""An attendee's name is one line (it goes into e-mail, calendars and the attendee list's CSV):
a line break or a control character is refused by the field; access needs keep their lines."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.extensions import db
from portal.registrations.models import Registration
from tests.client import PortalClient
from tests.factories import open_event, trust_staff
from tests.registrations.helpers import book
from tests.web.helpers import HTMX_OR_NOT, NOT_ONE_LINE, ONE_LINE_MESSAGE, field_error


def attendee(n: int, name: str, **more: str) -> dict[str, str]:
    row = {"name": name, "email": f"person{n}@nhs.example", "job_role": "midwife", **more}
    return {f"attendees-{n}-{key}": value for key, value in row.items()}


@pytest.fixture
def staff(app: Flask):  # type: ignore[no-untyped-def]
    return trust_staff()


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_booking_a_name_with_a_control_character_books_nobody(
    client: PortalClient, staff, value: str, htmx: bool
) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    client.sign_in(staff)
    data = {**attendee(0, "Ada Lovelace"), **attendee(1, value)}
    response = client.post_form(f"/events/{event.id}/book", data, htmx)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "attendees-1-name") == f"Full name {ONE_LINE_MESSAGE}"
    assert field_error(page, "attendees-0-name") is None
    assert db.session.query(Registration).count() == 0


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_changing_the_attendee_to_a_name_with_a_control_character_changes_nothing(
    client: PortalClient, staff, value: str, htmx: bool
) -> None:  # type: ignore[no-untyped-def]
    registration = book(open_event(), staff, 1)[0].registration
    client.sign_in(staff)
    response = client.post_form(
        f"/bookings/{registration.id}/change",
        {"name": value, "email": "colleague@nhs.example", "job_role": "obstetrician"},
        htmx,
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == f"Full name {ONE_LINE_MESSAGE}"
    db.session.refresh(registration)
    assert (registration.attendee_name, registration.attendee_email) == (
        "Attendee 1",
        "attendee1@nhs.example",
    )


@HTMX_OR_NOT
def test_access_needs_keep_their_line_breaks(client: PortalClient, staff, htmx: bool) -> None:  # type: ignore[no-untyped-def]
    event = open_event()
    client.sign_in(staff)
    data = attendee(0, "Ada Lovelace", access_needs="Step-free access\r\nA hearing loop")
    response = client.post_form(f"/events/{event.id}/book", data, htmx)
    assert response.status_code == (204 if htmx else 303), response.get_data(as_text=True)
    registration = db.session.query(Registration).one()
    assert registration.access_needs.splitlines() == ["Step-free access", "A hearing loop"]
