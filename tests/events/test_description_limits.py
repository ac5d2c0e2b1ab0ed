"""An event's description (Markdown) is bounded: over its length it is refused by the field; within
it, text that would keep the Markdown parser busy is shown as plain text on the event page and in
the event's calendar file, and never parsed."""

from __future__ import annotations

import pytest

from portal.events.models import NetworkEvent
from portal.extensions import db
from portal.web.markdown import PLAIN_TEXT_NOTE
from tests.client import PortalClient
from tests.events.helpers import form_data
from tests.factories import make_event, make_user
from tests.web.helpers import HTMX_OR_NOT, field_error, parser_inputs

DESCRIPTION_MAX = 10_000


@HTMX_OR_NOT
def test_a_description_over_its_length_is_refused_by_the_field(
    client: PortalClient, htmx: bool
) -> None:
    client.sign_in(make_user("coordinator"))
    with parser_inputs() as parsed:
        response = client.post_form(
            "/events/new", form_data(description="[" * (DESCRIPTION_MAX + 1)), htmx
        )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "description") == (
        "Description must be 10,000 characters or fewer"
    )
    assert parsed == []
    assert db.session.query(NetworkEvent).count() == 0


@pytest.mark.parametrize(
    "description",
    [
        "[" * DESCRIPTION_MAX,
        "a|" * 500 + "\n" + "-|" * 500 + "\n" + "b\n" * 900,
        "a\n>>>>>>>>\n" * 200,
    ],
    ids=["10,000 [", "a table 500 columns wide", "nested quotes between lines of text"],
)
def test_a_description_that_would_keep_the_parser_busy_is_shown_as_plain_text(
    client: PortalClient, description: str
) -> None:
    coordinator = make_user("coordinator")
    client.sign_in(coordinator)
    assert (
        client.post_form("/events/new", form_data(description=description), False).status_code
        == 303
    )
    event = db.session.query(NetworkEvent).one()
    assert event.description == description.strip()
    make_event(coordinator, publish=True, description=description, title="Published")
    published = db.session.query(NetworkEvent).filter_by(title="Published").one()
    with parser_inputs() as parsed:
        page = client.get(f"/events/{event.id}")
        calendar = client.get(f"/events/{published.id}/calendar.ics")
    assert page.status_code == 200 and calendar.status_code == 200
    assert PLAIN_TEXT_NOTE in page.get_data(as_text=True)
    assert description.split("\n")[0][:40] in page.get_data(as_text=True)
    assert "DESCRIPTION:" in calendar.get_data(as_text=True)
    assert parsed == []
