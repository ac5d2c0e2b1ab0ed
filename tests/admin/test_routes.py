from __future__ import annotations

import pytest

from tests.client import HTMX, PortalClient
from tests.factories import make_user


@pytest.mark.parametrize("role", ["coordinator", "trust"])
def test_only_the_programme_team_sees_people(client: PortalClient, role: str) -> None:
    client.sign_in(make_user(role))
    assert client.get("/admin/people").status_code == 403
    assert client.get("/admin/people", headers=HTMX).status_code == 403


def test_people_list_searches_by_name_and_email_and_filters_by_role(client: PortalClient) -> None:
    admin = make_user("admin", "boss@example.org", name="Bea Boss")
    make_user("coordinator", "cora@example.org", name="Cora Coordinator", region_slug="london")
    make_user("trust", "tim@example.org", name="Tim Trust")
    client.sign_in(admin)
    everyone = client.get("/admin/people").get_data(as_text=True)
    assert "3 people." in everyone
    by_name = client.get("/admin/people?q=cora").get_data(as_text=True)
    assert "Cora Coordinator" in by_name and "Tim Trust" not in by_name
    by_role = client.get("/admin/people?role=trust").get_data(as_text=True)
    assert "Tim Trust" in by_role and "Cora Coordinator" not in by_role
    nobody = client.get("/admin/people?q=%25").get_data(as_text=True)
    assert "No one matches your search" in nobody


def test_people_list_is_paginated(client: PortalClient) -> None:
    admin = make_user("admin", "boss@example.org", name="Aaa Boss")
    for n in range(30):
        make_user("admin", f"p{n:02}@example.org", name=f"Person {n:02}")
    client.sign_in(admin)
    first = client.get("/admin/people").get_data(as_text=True)
    assert "31 people." in first and "Page 2 of 2" in first and "Person 23" in first
    second = client.get("/admin/people?page=2").get_data(as_text=True)
    assert "Person 29" in second and "Person 23" not in second and "Page 1 of 2" in second
    beyond = client.get("/admin/people?page=99").get_data(as_text=True)
    assert "Person 29" in beyond


def test_an_admin_erases_one_persons_bookings(client: PortalClient) -> None:
    from portal.extensions import db
    from portal.registrations.models import Registration
    from tests.factories import open_event, trust_staff
    from tests.registrations.helpers import book

    event = open_event()
    book(event, trust_staff(), 1)
    client.sign_in(make_user("admin", "boss@example.org"))
    token = client.csrf_token("/admin/privacy")
    refused = client.post(
        "/admin/privacy", data={"email": "attendee1@nhs.example", "csrf_token": token}
    )
    assert refused.status_code == 422 and "cannot be undone" in refused.get_data(as_text=True)
    none = client.post(
        "/admin/privacy", data={"email": "nobody@nhs.example", "confirm": "y", "csrf_token": token}
    )
    assert (
        none.status_code == 422
        and "There are no bookings for this e-mail address" in none.get_data(as_text=True)
    )
    done = client.post(
        "/admin/privacy",
        data={"email": "attendee1@nhs.example", "confirm": "y", "csrf_token": token},
    )
    assert done.status_code == 303
    assert "Erased 1 attendee record(s)" in client.get("/admin/privacy").get_data(as_text=True)
    assert (
        db.session.query(Registration).filter_by(attendee_email="attendee1@nhs.example").count()
        == 0
    )


@pytest.mark.parametrize("role", ["coordinator", "trust"])
def test_only_admins_erase_bookings(client: PortalClient, role: str) -> None:
    client.sign_in(make_user(role))
    assert client.get("/admin/privacy").status_code == 403


def test_people_list_filters_by_region_and_status(client: PortalClient) -> None:
    from portal.auth.models import Role
    from portal.auth.service import create_user
    from portal.extensions import db
    from tests.factories import make_trust, region

    admin = make_user("admin", "boss@example.org", name="Boss")
    make_user(
        "coordinator", "london.coord@example.org", name="London Coordinator", region_slug="london"
    )
    make_user(
        "trust",
        "london.staff@example.org",
        name="London Staff",
        trust=make_trust("L NHS Trust", "RL1", "london"),
    )
    make_user(
        "coordinator", "ne.coord@example.org", name="North Coordinator", region_slug="north-east"
    )
    create_user(
        "invited@example.org", Role.COORDINATOR, name="Invited Person", region=region("london")
    )
    gone = make_user("admin", "gone@example.org", name="Gone Person")
    gone.active = False
    db.session.commit()
    client.sign_in(admin)
    london = client.get("/admin/people?region=london").get_data(as_text=True)
    assert (
        "London Coordinator" in london
        and "London Staff" in london
        and "North Coordinator" not in london
    )
    by_trust = (
        client.get("/admin/people?trust=RL1").get_data(as_text=True).split('id="people-results"')[1]
    )
    assert "London Staff" in by_trust and "London Coordinator" not in by_trust
    # The trust is typed: part of its name, or its ODS code in any case, finds its staff; the
    # htmx search answers with the results alone.
    for typed in ("l nhs", "rl1"):
        found = client.get(f"/admin/people?trust={typed.replace(' ', '+')}", headers=HTMX)
        text = found.get_data(as_text=True)
        assert text.startswith('<div id="people-results"'), typed
        assert "London Staff" in text and "London Coordinator" not in text, typed
    nobody = client.get("/admin/people?trust=Nowhere").get_data(as_text=True)
    assert "No one matches your search" in nobody
    assert 'value="Nowhere"' in nobody  # the page keeps what was typed
    invited = client.get("/admin/people?status=invited").get_data(as_text=True)
    assert "Invited Person" in invited and "London Staff" not in invited
    deactivated = client.get("/admin/people?status=deactivated").get_data(as_text=True)
    results = deactivated.split('id="people-results"')[1]
    assert "Gone Person" in results and "Boss" not in results
