"""The programme team lists, adds and changes trusts, and changes regions' names and contacts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.regions.service import region_by_slug, trust_by_code
from tests.admin.helpers import audit_entries, directory_entries, signed_in_admin
from tests.client import HTMX, PortalClient
from tests.factories import make_trust

# --- The list of trusts ------------------------------------------------------------------


def test_trusts_are_searched_by_name_or_ods_code_and_filtered(client: PortalClient) -> None:
    make_trust("Leeds Teaching Hospitals NHS Trust", "RR8", "yorkshire-and-the-humber")
    make_trust("Sheffield Teaching Hospitals NHS Trust", "RHQ", "yorkshire-and-the-humber", False)
    make_trust("Barts Health NHS Trust", "R1H", "london")
    signed_in_admin(client)

    everyone = client.get("/admin/trusts").get_data(as_text=True)
    assert "3 trusts." in everyone
    by_name = client.get("/admin/trusts?q=leeds").get_data(as_text=True)
    assert "1 trust found." in by_name and "Leeds Teaching" in by_name and "Barts" not in by_name
    by_code = client.get("/admin/trusts?q=r1h").get_data(as_text=True)
    assert "Barts Health" in by_code and "Leeds" not in by_code
    by_region = client.get("/admin/trusts?region=yorkshire-and-the-humber").get_data(as_text=True)
    assert "2 trusts found." in by_region and "Barts" not in by_region
    not_taking_part = client.get(
        "/admin/trusts?region=yorkshire-and-the-humber&participating=no"
    ).get_data(as_text=True)
    assert "Sheffield" in not_taking_part and "Leeds" not in not_taking_part
    taking_part = client.get("/admin/trusts?participating=yes").get_data(as_text=True)
    assert "Sheffield" not in taking_part and "2 trusts found." in taking_part


def test_unknown_filters_are_ignored_and_wildcards_are_literal(client: PortalClient) -> None:
    make_trust("Leeds Teaching Hospitals NHS Trust", "RR8", "yorkshire-and-the-humber")
    signed_in_admin(client)
    html = client.get("/admin/trusts?region=atlantis&participating=maybe").get_data(as_text=True)
    assert "1 trust." in html
    nothing = client.get("/admin/trusts?q=%25").get_data(as_text=True)
    assert "No trusts match your search" in nothing


def test_the_empty_directory_says_how_to_add_trusts(client: PortalClient) -> None:
    signed_in_admin(client)
    html = client.get("/admin/trusts").get_data(as_text=True)
    assert "0 trusts." in html and "No trusts have been added yet." in html


def test_htmx_search_gets_only_the_results(client: PortalClient) -> None:
    make_trust("Leeds Teaching Hospitals NHS Trust", "RR8", "yorkshire-and-the-humber")
    signed_in_admin(client)
    fragment = client.get(
        "/admin/trusts?q=leeds", headers={**HTMX, "HX-Target": "trust-results"}
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="trust-results"')
    assert "Leeds Teaching" in fragment and "<h1>" not in fragment
    # Loaded by htmx for another reason (HX-Location after adding a trust): the whole page.
    page = client.get("/admin/trusts", headers=HTMX).get_data(as_text=True)
    assert "<h1>Trusts</h1>" in page


def test_the_search_form_works_without_javascript_and_updates_the_address(
    client: PortalClient,
) -> None:
    signed_in_admin(client)
    html = client.get("/admin/trusts").get_data(as_text=True)
    assert '<form method="get" action="/admin/trusts"' in html
    assert 'hx-get="/admin/trusts"' in html and 'hx-push-url="true"' in html


def test_trusts_come_25_to_a_page_keeping_the_filters(client: PortalClient) -> None:
    for n in range(30):
        make_trust(f"Trust {n:02} NHS Trust", f"YP{n:03}", "london")
    make_trust("Elsewhere NHS Trust", "YQ001", "north-west")
    signed_in_admin(client)
    first = client.get("/admin/trusts?region=london").get_data(as_text=True)
    assert "30 trusts found." in first and "Trust 24" in first and "Trust 25" not in first
    assert 'href="/admin/trusts?page=2&amp;region=london"' in first and "Page 2 of 2" in first
    second = client.get("/admin/trusts?region=london&page=2").get_data(as_text=True)
    assert "Trust 29" in second and "Trust 24" not in second and "Page 1 of 2" in second
    beyond = client.get("/admin/trusts?region=london&page=99").get_data(as_text=True)
    assert "Trust 29" in beyond


# --- Adding a trust ----------------------------------------------------------------------


def test_an_admin_adds_a_trust_and_it_is_audited(client: PortalClient) -> None:
    admin = signed_in_admin(client)
    response = client.post_form(
        "/admin/trusts/new",
        {"name": "  Leeds Teaching Hospitals NHS Trust ", "ods_code": "rr8", "region": "london"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/trusts"
    trust = trust_by_code("RR8")
    assert trust is not None
    assert (trust.name, trust.region.slug, trust.participating) == (
        "Leeds Teaching Hospitals NHS Trust",
        "london",
        False,
    )
    [entry] = audit_entries("trust.created")
    assert entry.actor_id == admin.id and entry.object_id == str(trust.id)
    assert entry.after == {
        "name": "Leeds Teaching Hospitals NHS Trust",
        "ods_code": "RR8",
        "region": "london",
        "participating": False,
    }
    assert "Leeds Teaching Hospitals NHS Trust (RR8) has been added." in client.get(
        "/admin/trusts"
    ).get_data(as_text=True)


def test_adding_a_trust_with_htmx_sends_the_browser_to_the_list(client: PortalClient) -> None:
    signed_in_admin(client)
    response = client.post_form(
        "/admin/trusts/new",
        {
            "name": "Barts Health NHS Trust",
            "ods_code": "R1H",
            "region": "london",
            "participating": "y",
        },
        headers=HTMX,
    )
    assert response.status_code == 204 and response.headers["HX-Location"] == "/admin/trusts"
    trust = trust_by_code("R1H")
    assert trust is not None and trust.participating


VALID = {"name": "Barts Health NHS Trust", "ods_code": "R1H", "region": "london"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Enter the trust&#39;s name"),
        ({"name": "x" * 161}, "Name must be 160 characters or fewer"),
        ({"ods_code": ""}, "Enter the trust&#39;s ODS code"),
        ({"ods_code": "R1"}, "ODS code must be 3 or 5 letters and digits"),
        ({"ods_code": "R1H1"}, "ODS code must be 3 or 5 letters and digits"),
        ({"ods_code": "R1H-1"}, "ODS code must be 3 or 5 letters and digits"),
        ({"ods_code": "RJ12345"}, "ODS code must be 3 or 5 letters and digits"),
        ({"region": ""}, "Choose the region the trust is in"),
        ({"region": "atlantis"}, "Not a valid choice"),
        ({"ods_code": "rhq"}, "Another trust already has the ODS code RHQ"),
    ],
)
def test_a_new_trust_with_a_problem_is_refused_and_nothing_is_saved(
    client: PortalClient, change: dict[str, str], message: str
) -> None:
    make_trust("Sheffield Teaching Hospitals NHS Trust", "RHQ", "yorkshire-and-the-humber")
    signed_in_admin(client)
    before = db.session.scalar(select(db.func.count(Trust.id)))
    response = client.post_form("/admin/trusts/new", {**VALID, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html and message in html
    assert "<title>Error: Add a trust" in html
    assert db.session.scalar(select(db.func.count(Trust.id))) == before
    assert directory_entries() == []


def test_htmx_validation_gets_the_form_back_in_place(client: PortalClient) -> None:
    signed_in_admin(client)
    response = client.post_form("/admin/trusts/new", {**VALID, "name": ""}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<div id="trust-form">') and "Enter the trust" in html


# --- Changing a trust --------------------------------------------------------------------


def test_an_admin_changes_a_trust_including_its_ods_code(client: PortalClient) -> None:
    trust = make_trust("Old Name NHS Trust", "RA1", "london", participating=False)
    admin = signed_in_admin(client)
    form = client.get(f"/admin/trusts/{trust.id}/edit").get_data(as_text=True)
    assert 'value="Old Name NHS Trust"' in form and 'value="RA1"' in form
    assert '<option value="london" selected>' in form
    response = client.post_form(
        f"/admin/trusts/{trust.id}/edit",
        {
            "name": "New Name NHS Trust",
            "ods_code": "RA2",
            "region": "north-west",
            "participating": "y",
        },
    )
    assert response.status_code == 303
    db.session.refresh(trust)
    assert (trust.name, trust.ods_code, trust.region.slug, trust.participating) == (
        "New Name NHS Trust",
        "RA2",
        "north-west",
        True,
    )
    [entry] = audit_entries("trust.updated")
    assert entry.actor_id == admin.id
    assert entry.before == {
        "name": "Old Name NHS Trust",
        "ods_code": "RA1",
        "region": "london",
        "participating": False,
    }
    assert entry.after == {
        "name": "New Name NHS Trust",
        "ods_code": "RA2",
        "region": "north-west",
        "participating": True,
    }


def test_saving_a_trust_unchanged_writes_no_audit_entry(client: PortalClient) -> None:
    trust = make_trust("Same NHS Trust", "RA1", "london", participating=True)
    signed_in_admin(client)
    response = client.post_form(
        f"/admin/trusts/{trust.id}/edit",
        {"name": "Same NHS Trust", "ods_code": "RA1", "region": "london", "participating": "y"},
    )
    assert response.status_code == 303
    assert directory_entries() == []
    assert "Nothing was changed for Same NHS Trust." in client.get("/admin/trusts").get_data(
        as_text=True
    )


def test_a_trust_cannot_take_another_trusts_ods_code(client: PortalClient) -> None:
    make_trust("First NHS Trust", "RA1", "london")
    second = make_trust("Second NHS Trust", "RA2", "london")
    signed_in_admin(client)
    response = client.post_form(
        f"/admin/trusts/{second.id}/edit",
        {"name": "Second NHS Trust renamed", "ods_code": "ra1", "region": "london"},
    )
    assert response.status_code == 422
    assert "Another trust already has the ODS code RA1" in response.get_data(as_text=True)
    db.session.refresh(second)
    assert (second.name, second.ods_code) == ("Second NHS Trust", "RA2")
    assert directory_entries() == []


def test_changing_an_unknown_trust_is_not_found(client: PortalClient) -> None:
    signed_in_admin(client)
    assert client.get("/admin/trusts/999999/edit").status_code == 404
    assert client.post_form("/admin/trusts/999999/edit", VALID).status_code == 404


def test_the_database_refusing_a_duplicate_code_is_shown_by_the_field(
    client: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two admins saving the same new code at once: the loser gets the message, not a 500."""
    make_trust("First NHS Trust", "RA1", "london")
    signed_in_admin(client)
    from portal.regions import service

    # The form's check sees no clash (as if the other trust were saved a moment later).
    monkeypatch.setattr(service, "ods_code_in_use", lambda code, other_than=None: False)
    monkeypatch.setattr("portal.admin.forms.ods_code_in_use", lambda code, other_than=None: False)
    response = client.post_form(
        "/admin/trusts/new",
        {"name": "Clash NHS Trust", "ods_code": "RA1", "region": "london"},
    )
    assert response.status_code == 422
    assert "Another trust already has the ODS code RA1" in response.get_data(as_text=True)
    assert trust_by_code("RA1").name == "First NHS Trust"  # type: ignore[union-attr]
    assert directory_entries() == []


# --- Regions -----------------------------------------------------------------------------


def test_the_regions_list_shows_the_ten_shas_with_trust_counts(client: PortalClient) -> None:
    make_trust("A NHS Trust", "RA1", "london", participating=True)
    make_trust("B NHS Trust", "RA2", "london", participating=False)
    signed_in_admin(client)
    html = client.get("/admin/regions").get_data(as_text=True)
    for region in db.session.scalars(select(Region)):
        assert region.name in html
    assert html.count('href="/admin/regions/') == 10
    london_row = html.split('href="/admin/regions/london/edit"')[1].split("</tr>")[0]
    assert "2<span" in london_row and ">1</span>" in london_row


REGION = {
    "name": "NHS London",
    "short_name": "London",
    "contact_name": "Priya Shah",
    "contact_email": "Priya.Shah@nhs.net",
    "contact_phone": "020 7946 0000",
}


def test_an_admin_changes_a_regions_names_and_contact(client: PortalClient) -> None:
    london = region_by_slug("london")
    assert london is not None
    london.contact_name, london.contact_is_demo = "Sam Patel (demo)", True
    db.session.commit()
    admin = signed_in_admin(client)
    form = client.get("/admin/regions/london/edit").get_data(as_text=True)
    assert "These contact details are invented" in form

    response = client.post_form(
        "/admin/regions/london/edit", {**REGION, "name": "NHS London (pan-London)"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/regions"
    db.session.refresh(london)
    assert (london.slug, london.name, london.contact_name, london.contact_email) == (
        "london",
        "NHS London (pan-London)",
        "Priya Shah",
        "Priya.Shah@nhs.net",
    )
    assert london.contact_is_demo is False
    [entry] = audit_entries("region.updated")
    assert entry.actor_id == admin.id and entry.object_type == "region"
    assert entry.before is not None and entry.after is not None
    assert (entry.before["name"], entry.after["name"]) == ("NHS London", "NHS London (pan-London)")
    assert (entry.before["contact_is_demo"], entry.after["contact_is_demo"]) == (True, False)
    public = client.get("/regions/london").get_data(as_text=True)
    assert "Priya Shah" in public and "These contact details are invented" not in public


def test_a_demo_contact_stays_demo_when_only_the_name_changes(client: PortalClient) -> None:
    london = region_by_slug("london")
    assert london is not None
    london.contact_name, london.contact_is_demo = "Sam Patel (demo)", True
    db.session.commit()
    signed_in_admin(client)
    response = client.post_form(
        "/admin/regions/london/edit",
        {"name": "NHS London", "short_name": "Greater London", "contact_name": "Sam Patel (demo)"},
    )
    assert response.status_code == 303
    db.session.refresh(london)
    assert london.short_name == "Greater London" and london.contact_is_demo is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Enter the region&#39;s full name"),
        ({"short_name": " "}, "Enter the region&#39;s short name"),
        ({"name": "x" * 81}, "Full name must be 80 characters or fewer"),
        ({"name": "nhs north west"}, "Another region is already called nhs north west"),
        ({"contact_email": "priya at nhs"}, "Enter an e-mail address in the correct format"),
        ({"contact_phone": "call me"}, "Enter a telephone number"),
        ({"contact_phone": "12345"}, "Enter a telephone number"),
    ],
)
def test_a_region_change_with_a_problem_is_refused(
    client: PortalClient, change: dict[str, str], message: str
) -> None:
    signed_in_admin(client)
    response = client.post_form("/admin/regions/london/edit", {**REGION, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html and message in html
    london = region_by_slug("london")
    assert london is not None and (london.name, london.contact_name) == ("NHS London", "")
    assert directory_entries() == []


def test_region_validation_with_htmx_swaps_the_form(client: PortalClient) -> None:
    signed_in_admin(client)
    response = client.post_form(
        "/admin/regions/london/edit", {**REGION, "contact_email": "nope"}, headers=HTMX
    )
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<div id="region-form">')


def test_changing_an_unknown_region_is_not_found(client: PortalClient) -> None:
    signed_in_admin(client)
    assert client.get("/admin/regions/atlantis/edit").status_code == 404
