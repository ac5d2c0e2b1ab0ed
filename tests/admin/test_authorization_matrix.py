"""Every administration route, for every role, as a full page and as an htmx request.

The routes come from the URL map: a route added to the admin blueprint later is checked too, and
must be named in KNOWN_ADMIN_ENDPOINTS, so that adding one is a decision someone makes here.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.client import HTMX, PortalClient
from tests.factories import make_trust, make_user

KNOWN_ADMIN_ENDPOINTS = {
    "admin.audit_csv",
    "admin.audit_log",
    "admin.edit_region",
    "admin.edit_trust",
    "admin.import_apply",
    "admin.import_preview",
    "admin.import_trusts",
    "admin.mail",
    "admin.new_trust",
    "admin.people",
    "admin.privacy",
    "admin.regions",
    "admin.retry_mail",
    "admin.trusts",
}

ROLES = ["anonymous", "trust", "coordinator", "admin"]


def admin_requests(app: Flask, values: dict[str, Any]) -> list[tuple[str, str, str]]:
    requests = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            args = {name: values[name] for name in rule.arguments}
            path = url_for(rule.endpoint, **args)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                requests.append((rule.endpoint, method, path))
    return requests


def client_for(app: Flask, role: str, trust: Any) -> PortalClient:
    client = app.test_client()
    if role == "trust":
        client.sign_in(make_user("trust", "matrix.trust@example.org", trust=trust))
    elif role == "coordinator":
        client.sign_in(
            make_user("coordinator", "matrix.coordinator@example.org", region_slug="london")
        )
    elif role == "admin":
        client.sign_in(make_user("admin", "matrix.admin@example.org"))
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_admin_routes_answer_each_role_as_expected(app: Flask, role: str, htmx: bool) -> None:
    trust = make_trust("Matrix NHS Trust", "RMX", "london")
    values = {
        "trust_id": trust.id,
        "slug": "london",
        "message_id": 999999,
        "upload_id": "no-such-upload",
    }
    requests = admin_requests(app, values)
    assert {endpoint for endpoint, _, _ in requests} == KNOWN_ADMIN_ENDPOINTS, (
        "name every admin route above"
    )
    client = client_for(app, role, trust)
    headers = HTMX if htmx else {}
    token = client.csrf_token("/sign-in" if role == "anonymous" else "/account")
    for endpoint, method, path in requests:
        if method == "GET":
            response = client.get(path, headers=headers)
        else:
            response = client.post(path, data={"csrf_token": token}, headers=headers)
        status = response.status_code
        where = f"{role} {method} {path} ({endpoint})"
        if role == "anonymous":
            if htmx:
                assert status == 401 and response.headers["HX-Redirect"].startswith("/sign-in"), (
                    where
                )
            else:
                assert status == 302 and response.headers["Location"].startswith("/sign-in"), where
        elif role in ("trust", "coordinator"):
            assert status == 403, where
        else:
            assert status not in (401, 403, 500), where


PEOPLE_PAGES = [
    ("GET", "/people/invite"),
    ("GET", "/team"),
    ("GET", "/people/{other}"),
    ("POST", "/people/{other}/resend"),
    ("POST", "/people/{other}/revoke"),
    ("POST", "/people/{other}/role"),
    ("POST", "/people/{other}/active"),
    ("POST", "/people/{own}/role"),
    ("POST", "/people/{own}/active"),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_people_routes_for_trust_staff_and_coordinators(app: Flask, htmx: bool) -> None:
    """Trust staff manage no one; a coordinator manages only their region's trust staff and may
    neither change roles nor deactivate anyone; people outside their region are not found."""
    own = make_user(
        "trust", "own.staff@example.org", trust=make_trust("Own NHS Trust", "ROW", "london")
    )
    other = make_user(
        "trust", "other.staff@example.org", trust=make_trust("Far NHS Trust", "RFA", "north-west")
    )
    headers = HTMX if htmx else {}
    expected = {
        "trust": {"/people/invite": 403, "/team": 403},
        "coordinator": {"/people/invite": 200, "/team": 200},
    }
    for role in ("trust", "coordinator"):
        client = client_for(app, role, own.trust)
        token = client.csrf_token("/account")
        for method, pattern in PEOPLE_PAGES:
            path = pattern.format(other=other.id, own=own.id)
            if method == "GET":
                status = client.get(path, headers=headers).status_code
            else:
                status = client.post(
                    path,
                    data={"csrf_token": token, "active": "no", "role": "admin"},
                    headers=headers,
                ).status_code
            if path in expected[role]:
                assert status == expected[role][path], (role, path)
            elif "{other}" in pattern:
                assert status == 404, (role, path)  # someone they may not manage: not found
            else:
                assert status in (403, 404), (
                    role,
                    path,
                )  # their own region's staff: no role or access changes
    from portal.extensions import db

    db.session.refresh(own)
    db.session.refresh(other)
    assert own.active and other.active and own.role.value == "trust" and other.role.value == "trust"
