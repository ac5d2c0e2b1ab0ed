"""Names of trusts and regions are one line: a line break or a control character is refused by
the field, and nothing is changed."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import region_by_slug
from tests.admin.helpers import directory_entries, signed_in_admin
from tests.client import HTMX, PortalClient
from tests.factories import make_trust
from tests.web.helpers import HTMX_OR_NOT, NOT_ONE_LINE, ONE_LINE_MESSAGE, field_error

TRUST = {"name": "Barts Health NHS Trust", "ods_code": "R1H", "region": "london"}
REGION = {
    "name": "NHS London",
    "short_name": "London",
    "contact_name": "Priya Shah",
    "contact_email": "priya.shah@nhs.net",
    "contact_phone": "020 7946 0000",
}


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_a_new_trust_named_with_a_control_character_is_refused(
    client: PortalClient, value: str, htmx: bool
) -> None:
    signed_in_admin(client)
    response = client.post_form(
        "/admin/trusts/new", {**TRUST, "name": value}, headers=HTMX if htmx else None
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == f"Name {ONE_LINE_MESSAGE}"
    assert db.session.query(Trust).count() == 0
    assert directory_entries() == []


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_renaming_a_trust_with_a_control_character_changes_nothing(
    client: PortalClient, value: str, htmx: bool
) -> None:
    trust = make_trust("Riverside NHS Trust", "RS1")
    signed_in_admin(client)
    response = client.post_form(
        f"/admin/trusts/{trust.id}/edit",
        {**TRUST, "ods_code": "RS1", "name": value},
        headers=HTMX if htmx else None,
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == f"Name {ONE_LINE_MESSAGE}"
    db.session.refresh(trust)
    assert trust.name == "Riverside NHS Trust"
    assert directory_entries() == []


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
@pytest.mark.parametrize(
    ("field", "label"),
    [("name", "Full name"), ("short_name", "Short name"), ("contact_name", "Coordinator's name")],
)
def test_a_region_name_with_a_control_character_changes_nothing(
    client: PortalClient, field: str, label: str, value: str, htmx: bool
) -> None:
    signed_in_admin(client)
    response = client.post_form(
        "/admin/regions/london/edit",
        {**REGION, field: value},
        headers=HTMX if htmx else None,
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == f"{label} {ONE_LINE_MESSAGE}"
    london = region_by_slug("london")
    assert london is not None
    assert (london.name, london.short_name, london.contact_name) == ("NHS London", "London", "")
    assert directory_entries() == []


@HTMX_OR_NOT
def test_the_audit_log_search_names_the_problem_by_the_field(
    client: PortalClient, htmx: bool
) -> None:
    signed_in_admin(client)
    response = client.get("/admin/audit?person=boss%1b", headers=HTMX if htmx else {})
    assert response.status_code == 422
    assert (
        field_error(response.get_data(as_text=True), "person")
        == f"E-mail address {ONE_LINE_MESSAGE}"
    )
