"""A coordinator whose programme year is full plans the next one: the year chosen stays chosen
in the form, so a mistake on the form loses nothing and the form stays on the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from portal.events.models import NetworkEvent
from portal.extensions import db
from portal.web.dates import programme_year, programme_year_label, today_in_london
from tests.client import PortalClient
from tests.events.helpers import form_data
from tests.factories import make_event, make_user


@pytest.mark.parametrize("htmx", [False, True])
def test_a_mistake_while_planning_next_year_keeps_the_year_and_everything_typed(
    app: Flask, client: PortalClient, htmx: bool
) -> None:
    coordinator = make_user("coordinator")
    for _ in range(3):
        make_event(coordinator, event_date=today_in_london() + timedelta(days=1))
    next_year = programme_year(today_in_london()) + 1
    client.sign_in(coordinator)
    page = client.get(f"/events/new?year={next_year}").get_data(as_text=True)
    assert f'<input type="hidden" name="year" value="{next_year}">' in page

    # The date left out, everything else typed.
    sent = form_data(
        title="Planning ahead",
        **{"event_date-day": "", "event_date-month": "", "event_date-year": ""},
        year=str(next_year),
    )
    response = client.post_form("/events/new", sent, htmx=htmx)
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert f"0 of 3 events planned for {programme_year_label(next_year)}" in html
    assert "has planned all 3 network events" not in html
    assert 'value="Planning ahead"' in html and 'value="Civic Hall"' in html
    assert f'<input type="hidden" name="year" value="{next_year}">' in html
    # The error summary links to the date, which is on the page.
    assert re.search(r'href="#event_date[^"]*"', html) and 'id="event_date-day"' in html
    assert db.session.query(NetworkEvent).count() == 3


def test_a_year_far_away_is_not_taken_from_the_address(app: Flask, client: PortalClient) -> None:
    client.sign_in(make_user("coordinator"))
    label = programme_year_label(programme_year(today_in_london()))
    page = client.get("/events/new?year=2999").get_data(as_text=True)
    assert f"0 of 3 events planned for {label}" in page
