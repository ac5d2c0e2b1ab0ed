from __future__ import annotations

from portal.extensions import db
from tests.client import PortalClient
from tests.factories import make_trust, region


def test_regions_index_lists_the_ten_shas_with_trust_counts(client: PortalClient) -> None:
    make_trust("A NHS Trust", "RA1", "london", participating=True)
    make_trust("B NHS Trust", "RB1", "london", participating=False)
    html = client.get("/regions").get_data(as_text=True)
    assert html.count('class="nhsuk-card__link"') == 10
    assert "2 trusts, 1 participating" in html
    assert "0 trusts, 0 participating" in html


def test_region_page_lists_its_trusts_and_only_its_own(client: PortalClient) -> None:
    make_trust("Local NHS Trust", "RL1", "north-west")
    make_trust("Faraway NHS Trust", "RF1", "south-west")
    html = client.get("/regions/north-west").get_data(as_text=True)
    assert "Local NHS Trust" in html
    assert "Faraway NHS Trust" not in html


def test_a_region_with_many_trusts_lists_them_fifty_to_a_page_by_name(
    client: PortalClient,
) -> None:
    for n in range(1, 121):
        make_trust(f"Trust {n:03d} NHS Trust", f"RM{n:03d}", "north-east")
    make_trust("Elsewhere NHS Trust", "RZ1", "london")

    first = client.get("/regions/north-east").get_data(as_text=True)
    assert "120 trusts, by name. Page 1 of 3." in first
    assert "Trust 001 NHS Trust" in first and "Trust 050 NHS Trust" in first
    assert "Trust 051 NHS Trust" not in first
    assert 'href="/regions/north-east?page=2#trusts"' in first

    last = client.get("/regions/north-east?page=3").get_data(as_text=True)
    assert "Page 3 of 3." in last
    assert "Trust 101 NHS Trust" in last and "Trust 120 NHS Trust" in last
    assert "Trust 100 NHS Trust" not in last and "Elsewhere" not in last
    assert 'href="/regions/north-east?page=2#trusts"' in last
    # A page past the end (an old link, the list since shortened) shows the last one.
    assert "Trust 120 NHS Trust" in client.get("/regions/north-east?page=9").get_data(as_text=True)


def test_a_region_with_few_trusts_shows_them_all_without_pages(client: PortalClient) -> None:
    make_trust("Only NHS Trust", "RO1", "north-east")
    html = client.get("/regions/north-east").get_data(as_text=True)
    assert "Only NHS Trust" in html
    assert "Page 1 of" not in html and "?page=" not in html


def test_region_without_trusts_or_contact_explains_itself(client: PortalClient) -> None:
    html = client.get("/regions/south-central").get_data(as_text=True)
    assert "No trusts have been added for <bdi>South Central</bdi> yet" in html
    assert "coordinator has not been named yet" in html


def test_region_page_shows_the_coordinator_contact(client: PortalClient) -> None:
    london = region("london")
    london.contact_name, london.contact_email = "Ada Contact", "ada@example.org"
    db.session.commit()
    html = client.get("/regions/london").get_data(as_text=True)
    assert "Ada Contact" in html and "mailto:ada@example.org" in html


def test_unknown_region_is_404(client: PortalClient) -> None:
    assert client.get("/regions/mercia").status_code == 404


def test_participating_trusts_are_grouped_by_region(client: PortalClient) -> None:
    make_trust("Yes NHS Trust", "RY1", "london", participating=True)
    make_trust("No NHS Trust", "RN1", "london", participating=False)
    html = client.get("/trusts").get_data(as_text=True)
    assert "Yes NHS Trust" in html and "No NHS Trust" not in html
    assert "<h2><bdi>NHS London</bdi></h2>" in html


def test_no_participating_trusts_yet_is_said_plainly(client: PortalClient) -> None:
    assert "No participating trusts have been listed yet" in client.get("/trusts").get_data(
        as_text=True
    )


def test_trust_page_by_ods_code_in_any_case(client: PortalClient) -> None:
    make_trust("Case NHS Trust", "RC7", "east-midlands")
    html = client.get("/trusts/rc7").get_data(as_text=True)
    assert "Case NHS Trust" in html and "NHS East Midlands" in html
    assert client.get("/trusts/NOPE").status_code == 404


def test_demo_records_are_tagged_demo(client: PortalClient) -> None:
    trust = make_trust("Invented NHS Trust", "ZQ1", "london")
    trust.is_demo = True
    db.session.commit()
    for path in ("/regions/london", "/trusts", "/trusts/ZQ1"):
        assert ">Demo</strong>" in client.get(path).get_data(as_text=True), path
