"""The programme team see every region's events on one page, with a region filter; a
coordinator sees only their own region, whatever the address asks for."""

from __future__ import annotations

import re

from flask import Flask

from portal.registrations.service import book_places
from tests.client import PortalClient
from tests.factories import make_event, make_user, open_event, trust_staff
from tests.registrations.helpers import person


def test_the_programme_team_sees_every_region_with_its_bookings(
    app: Flask, client: PortalClient
) -> None:
    london = open_event(capacity=2, title="London day")
    north_west = make_user("coordinator", "nw@nhs.example", region_slug="north-west")
    make_event(north_west, "north-west", title="NW draft")
    book_places(london, [person(1), person(2), person(3)], actor=trust_staff())
    client.sign_in(make_user("admin", "admin@nhs.example"))

    page = client.get("/manage/events").get_data(as_text=True)

    assert "<h1>Every region’s events</h1>" in page
    assert len(re.findall(r'<section class="portal-manage-region"', page)) == 10
    assert re.search(
        r"London day</bdi></a> <strong[^>]*>Published</strong>.*?2 of 2 booked, 1 waiting",
        page,
        re.S,
    )
    assert "NW draft" in page and "not open for booking yet" in page
    assert '<option value="all" selected>All regions</option>' in page

    one = client.get("/manage/events?region=north-west").get_data(as_text=True)
    assert "NHS North West</bdi> events</h1>" in one and "London day" not in one
    assert '<option value="all">All regions</option>' in one


def test_a_coordinator_never_gets_the_all_regions_view(app: Flask, client: PortalClient) -> None:
    open_event(title="London day")
    client.sign_in(make_user("coordinator", "nw@nhs.example", region_slug="north-west"))

    page = client.get("/manage/events?region=all").get_data(as_text=True)

    assert "NHS North West</bdi> events</h1>" in page
    assert "London day" not in page and "All regions" not in page
