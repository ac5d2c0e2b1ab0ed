"""Only the programme team reaches the directory and the audit log, fragments included."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.admin.helpers import signed_in_admin
from tests.client import HTMX, PortalClient
from tests.factories import make_trust, make_user

UPLOAD_ID = "A" * 24

# {trust} is replaced by the id of a trust made for the test.
GET_PAGES = [
    "/admin/trusts",
    "/admin/trusts/new",
    "/admin/trusts/{trust}/edit",
    "/admin/trusts/import",
    f"/admin/trusts/import/{UPLOAD_ID}",
    "/admin/regions",
    "/admin/regions/london/edit",
    "/admin/audit",
    "/admin/audit.csv",
]
POST_ACTIONS = [
    "/admin/trusts/new",
    "/admin/trusts/{trust}/edit",
    "/admin/trusts/import",
    f"/admin/trusts/import/{UPLOAD_ID}",
    "/admin/regions/london/edit",
]


def _path(template: str) -> str:
    return template.format(trust=make_trust("Access Test NHS Trust", "YAC01").id)


@pytest.mark.parametrize("path", GET_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: PortalClient, path: str) -> None:
    path = _path(path)
    page = client.get(path)
    assert page.status_code == 302 and page.headers["Location"].startswith("/sign-in?next=")
    fragment = client.get(path, headers=HTMX)
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith("/sign-in")


@pytest.mark.parametrize("path", POST_ACTIONS)
def test_anonymous_posts_change_nothing_and_are_sent_to_sign_in(
    client: PortalClient, path: str
) -> None:
    path = _path(path)
    token = client.csrf_token("/sign-in")
    response = client.post(path, data={"csrf_token": token, "name": "X"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("role", ["coordinator", "trust"])
@pytest.mark.parametrize("path", GET_PAGES)
def test_coordinators_and_trust_staff_are_refused(
    client: PortalClient, role: str, path: str
) -> None:
    path = _path(path)
    client.sign_in(make_user(role))
    assert client.get(path).status_code == 403
    assert client.get(path, headers=HTMX).status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "trust"])
@pytest.mark.parametrize("path", POST_ACTIONS)
def test_coordinators_and_trust_staff_cannot_post(
    client: PortalClient, role: str, path: str
) -> None:
    path = _path(path)
    client.sign_in(make_user(role))
    token = client.csrf_token("/account")
    assert client.post(path, data={"csrf_token": token}).status_code == 403
    assert client.post(path, data={"csrf_token": token}, headers=HTMX).status_code == 403


@pytest.mark.parametrize(
    "path",
    [p for p in GET_PAGES if "/import/" not in p and not p.endswith(".csv")],
)
def test_admins_get_each_page_and_its_fragment(client: PortalClient, path: str) -> None:
    path = _path(path)
    signed_in_admin(client)
    page = client.get(path)
    assert page.status_code == 200
    assert "<html" in page.get_data(as_text=True)
    fragment = client.get(path, headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_admins_get_the_audit_csv(client: PortalClient) -> None:
    signed_in_admin(client)
    response = client.get("/admin/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"


def test_the_header_links_admins_to_the_directory_and_the_audit_log(client: PortalClient) -> None:
    signed_in_admin(client)
    html = client.get("/admin/regions").get_data(as_text=True)
    assert 'href="/admin/trusts"' in html and ">Directory<" in html
    assert 'href="/admin/audit"' in html and ">Audit log<" in html


@pytest.mark.parametrize("role", ["coordinator", "trust"])
def test_others_have_no_directory_or_audit_log_in_the_header(
    client: PortalClient, role: str
) -> None:
    client.sign_in(make_user(role))
    html = client.get("/account").get_data(as_text=True)
    assert ">Directory<" not in html and ">Audit log<" not in html


def test_no_route_changes_or_deletes_audit_entries(app: Flask) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin/audit")]
    assert {r.rule for r in rules} == {"/admin/audit", "/admin/audit.csv"}
    for rule in rules:
        assert rule.methods is not None
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
