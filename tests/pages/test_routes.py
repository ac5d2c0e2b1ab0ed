from __future__ import annotations

import pytest

from tests.client import PortalClient
from tests.factories import make_trust, make_user

PUBLIC_PAGES = [
    ("/", "Caesarean section improvement network"),
    ("/about", "About the programme"),
    ("/regions", "Regions"),
    ("/regions/north-east", "NHS North East"),
    ("/trusts", "Participating trusts"),
    ("/contact", "Contact us"),
    ("/accessibility", "Accessibility statement"),
    ("/privacy", "Privacy notice"),
    ("/cookies", "Cookies"),
    ("/medical-advice", "We cannot give medical advice"),
    ("/sign-in", "Sign in"),
]


@pytest.mark.parametrize(("path", "heading"), PUBLIC_PAGES)
def test_public_page_shows_its_heading_and_footer_links(
    client: PortalClient, path: str, heading: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # A heading that is a name people typed (a region's) is isolated in <bdi>.
    assert any(
        s in html for s in (f"<h1>{heading}", f">{heading}</h1>", f"<bdi>{heading}</bdi></h1>")
    )
    for footer_link in ("/accessibility", "/privacy", "/cookies", "/medical-advice", "/contact"):
        assert f'href="{footer_link}"' in html


def test_home_page_says_no_medical_advice_and_shows_empty_states(client: PortalClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "cannot give medical advice" in html
    assert "No upcoming network events have been published yet" in html
    assert "No improvement stories have been published yet" in html


def test_home_lists_all_ten_regions(client: PortalClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for slug in ("east-of-england", "london", "yorkshire-and-the-humber", "south-east-coast"):
        assert f'href="/regions/{slug}"' in html


def test_healthz_reports_a_reachable_database(client: PortalClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(
    client: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from portal.extensions import db

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_unknown_page_is_an_nhs_styled_404(client: PortalClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert "nhsuk-header" in html


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        (None, ["Sign in"], ["Your region", "Your trust", "People", "Sign out"]),
        ("admin", ["People", "Sign out"], ["Your region", "Your trust"]),
        ("coordinator", ["Your region", "Sign out"], ["Your trust", ">People<"]),
        ("trust", ["Your trust", "Sign out"], ["Your region", ">People<"]),
    ],
)
def test_each_role_sees_only_its_own_navigation(
    client: PortalClient, role: str | None, expected: list[str], absent: list[str]
) -> None:
    if role is not None:
        client.sign_in(make_user(role))
    html = client.get("/about").get_data(as_text=True)
    header = html.split("</header>")[0]
    for text in expected:
        assert text in header
    for text in absent:
        assert text not in header


def test_coordinator_navigation_links_to_their_own_region(client: PortalClient) -> None:
    client.sign_in(make_user("coordinator", region_slug="south-west"))
    header = client.get("/").get_data(as_text=True).split("</header>")[0]
    assert 'href="/regions/south-west"' in header


def test_trust_staff_navigation_links_to_their_own_trust(client: PortalClient) -> None:
    trust = make_trust("Moorside NHS Trust", "RM9", "north-west")
    client.sign_in(make_user("trust", trust=trust))
    header = client.get("/").get_data(as_text=True).split("</header>")[0]
    assert 'href="/trusts/RM9"' in header
