"""CSRF on every state-changing route, security headers on every answer, session cookie flags.

The routes come from the URL map and the authorization matrix's table and world
(tests/test_authorization_matrix.py), so a route added later is covered here too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from portal.auth.service import find_by_email
from portal.config import HTMX_VERSION
from portal.extensions import db
from tests.client import CSRF_FIELD, CSRF_HEADER, HTMX, PortalClient
from tests.factories import PASSWORD, make_user
from tests.test_authorization_matrix import (
    NOT_CHECKED,
    Case,
    Isolated,
    SignedInClients,
    build_world,
    cases,
    send,
    snapshot,
)

CSRF_REFUSED = "The form you sent had expired or was not from this site"

# Views marked @csrf.exempt, with the reason. Neither takes a POST, so no request that changes
# anything goes without a token.
CSRF_EXEMPT = {
    "pages.healthz": "GET only: load balancers and monitoring poll it",
    "feeds.private": "GET only: calendar apps poll the secret address with no session",
}

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

# The whole policy, written out: a change to it is a decision someone makes here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}' "
    f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "font-src 'self' https://assets.nhs.uk; "
    "connect-src 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'; "
    "base-uri 'self'; "
    "object-src 'none'; "
    "manifest-src 'self'"
)
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{16,})'")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)
INLINE_HANDLER_OR_STYLE = re.compile(r"<[a-z][^>]*\s(on[a-z]+|style)\s*=", re.IGNORECASE)


# --- (a) CSRF ----------------------------------------------------------------------------------


def test_csrf_is_on_and_exempts_only_views_that_take_no_post(app: Flask) -> None:
    assert app.config["WTF_CSRF_ENABLED"] and app.config["WTF_CSRF_CHECK_DEFAULT"]
    assert {"POST"} <= app.config["WTF_CSRF_METHODS"]
    csrf = app.extensions["csrf"]
    assert not csrf._exempt_blueprints
    exempt = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }
    assert exempt == set(CSRF_EXEMPT), "give each @csrf.exempt view its reason in CSRF_EXEMPT"
    for rule in app.url_map.iter_rules():
        if rule.endpoint in exempt:
            assert not (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}, rule


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("role", ["anonymous", "owner", "admin"])
def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(
    app: Flask, role: str, htmx: bool
) -> None:
    world = build_world()
    clients = SignedInClients(app, world, role)
    connection = db.session.connection()
    before = snapshot(connection)
    posts = [case for case in cases(app, world.values) if case.method == "POST"]
    assert {case.endpoint for case in posts} == post_endpoints(app)
    failures = []
    for case in posts:
        for label, client in clients.for_case(role, case.access):
            where = f"{label} POST {case.path} ({case.endpoint})"
            with Isolated(app, connection, client):
                response = client.post(
                    case.path, data=dict(case.access.data), headers=HTMX if htmx else {}
                )
                if problem := csrf_problem(response, htmx):
                    failures.append(f"{where}: {problem}")
                if snapshot(connection) != before:
                    failures.append(f"{where}: refused, but the database changed")
    assert not failures, "\n".join(failures)


def post_endpoints(app: Flask) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and rule.endpoint not in NOT_CHECKED
    }


def csrf_problem(response: TestResponse, htmx: bool) -> str | None:
    if response.status_code != 400:
        return f"expected 400, got {response.status_code}"
    if CSRF_REFUSED not in response.get_data(as_text=True):
        return "a 400 without the CSRF message"
    if htmx and response.headers.get("HX-Retarget") != "#maincontent":
        return "an htmx refusal without HX-Retarget: #maincontent"
    return None


def test_htmx_sends_the_token_in_a_header_and_only_its_own_sessions_token_counts(
    app: Flask,
) -> None:
    alice, bob = app.test_client(), app.test_client()
    alice.sign_in(make_user("trust", "alice@nhs.example"))
    bob.sign_in(make_user("coordinator", "bob@nhs.example"))
    alices, bobs = alice.csrf_token("/account"), bob.csrf_token("/account")
    keep_alive = "/session/keep-alive"
    assert alice.post(keep_alive, headers={**HTMX, "X-CSRFToken": alices}).status_code == 204
    assert alice.post(keep_alive, headers={**HTMX, "X-CSRFToken": bobs}).status_code == 400
    assert alice.post(keep_alive, headers={**HTMX, "X-CSRFToken": "forged"}).status_code == 400
    assert alice.post(keep_alive, data={"csrf_token": bobs}).status_code == 400
    # A name change posted with another session's token is refused and changes nothing.
    response = alice.post("/account/name", data={"name": "Mallory", "csrf_token": bobs})
    assert response.status_code == 400
    db.session.expire_all()
    alice_now = find_by_email("alice@nhs.example")
    assert alice_now is not None and alice_now.name != "Mallory"


# --- (b) Security headers ------------------------------------------------------------------------


def header_problems(response: TestResponse, *, signed_in: bool) -> list[str]:
    headers = response.headers
    problems = [
        f"{name}: {headers.get(name)!r}"
        for name, value in SECURITY_HEADERS.items()
        if headers.get(name) != value
    ]
    if "HX-Request" not in headers.get("Vary", ""):
        problems.append(f"Vary: {headers.get('Vary')!r}")
    if signed_in and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"signed in, Cache-Control: {headers.get('Cache-Control')!r}")
    if response.mimetype != "text/html":
        return problems
    csp = headers.get("Content-Security-Policy", "")
    nonce = NONCE.search(csp)
    if nonce is None or csp != CONTENT_SECURITY_POLICY.format(nonce=nonce.group(1)):
        problems.append(f"Content-Security-Policy: {csp!r}")
        return problems
    html = response.get_data(as_text=True)
    unmarked = [
        attrs for attrs in INLINE_SCRIPT.findall(html) if f'nonce="{nonce.group(1)}"' not in attrs
    ]
    if unmarked:
        problems.append(f"inline scripts without the CSP nonce: {unmarked}")
    if blocked := INLINE_HANDLER_OR_STYLE.findall(html):
        problems.append(f"inline attributes the CSP blocks: {sorted(set(blocked))}")
    return problems


def header_cases(app: Flask, values: dict[str, Any]) -> list[Case]:
    """One use of each route and method: every GET page without URL arguments among them."""
    first: dict[tuple[str, str], Case] = {}
    for case in cases(app, values):
        first.setdefault((case.endpoint, case.method), case)
    return sorted(first.values(), key=lambda case: (case.path, case.method))


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    "role", ["anonymous", "owner", "other_staff", "other_coordinator", "admin"]
)
def test_every_answer_carries_the_security_headers_and_html_the_csp(
    app: Flask, role: str, htmx: bool
) -> None:
    """GETs for everyone; POSTs (with a token) for the owner and the admin, whose POSTs act."""
    world = build_world()
    clients = SignedInClients(app, world, role)
    chosen = [
        case
        for case in header_cases(app, world.values)
        if case.method == "GET" or role in ("owner", "admin")
    ]
    arguments_free = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set()) and not rule.arguments
    }
    assert arguments_free <= {case.endpoint for case in chosen}
    connection = db.session.connection()
    headers = HTMX if htmx else {}
    failures = []
    for label, client in clients.clients.items():
        answers = []
        for case in chosen:
            with Isolated(app, connection, client):
                response = send(client, case, clients.tokens[label], headers)
            signed_in = label != "anonymous" and case.endpoint != "auth.sign_out"
            answers.append((f"{case.method} {case.path} ({case.endpoint})", signed_in, response))
        answers += [
            ("GET an unknown address", label != "anonymous", client.get("/x", headers=headers)),
            (
                "GET a POST-only route",
                label != "anonymous",
                client.get("/sign-out", headers=headers),
            ),
            (
                "POST without a CSRF token",
                label != "anonymous",
                client.post("/session/keep-alive", headers=headers),
            ),
        ]
        statuses = set()
        for where, signed_in, response in answers:
            statuses.add(response.status_code)
            for problem in header_problems(response, signed_in=signed_in):
                failures.append(f"{label} {where} -> {response.status_code}: {problem}")
        assert {200, 400, 404, 405} <= statuses, statuses
    assert not failures, "\n".join(failures)


def test_static_and_asset_files_carry_the_headers_too(client: PortalClient) -> None:
    for path in ("/static/js/session-timeout.js", f"/assets/htmx/htmx.min.js?v={HTMX_VERSION}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert header_problems(response, signed_in=False) == [], path
        response.close()


# --- (c) The session cookie ----------------------------------------------------------------------


def session_cookies(response: TestResponse, name: str) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


def flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_the_signed_in_session_cookie_is_httponly_and_samesite_lax(
    app: Flask, client: PortalClient
) -> None:
    user = make_user("trust", "cookie.person@nhs.example")
    token = client.csrf_token("/sign-in")
    response = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    (cookie,) = session_cookies(response, app.config["SESSION_COOKIE_NAME"])
    assert {"httponly", "samesite=lax", "path=/"} <= flags(cookie)
    assert not any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_in_production_every_session_cookie_is_secure_httponly_and_samesite_lax(
    app: Flask, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over https, as a reverse proxy would pass it on: sign in, use a page, sign out."""
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "b3e9d1f7a05c48e2b6d0f9a3c7e1d5b8")  # random, as in production
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.org")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    production = app_factory(RATELIMIT_STORAGE_URI="memory://")
    assert production.config["PRODUCTION"]
    user = make_user("coordinator", "secure.cookie@nhs.example", region_slug="north-east")
    base = "https://portal.example.org"
    referer = {"Referer": f"{base}/sign-in"}  # Flask-WTF checks it on https
    client = production.test_client()
    name = production.config["SESSION_COOKIE_NAME"]

    page = client.get("/sign-in", base_url=base)
    token = csrf_token_from(page)
    form = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    # On https a POST must also come from a page of this site (Referer), token or not.
    assert client.post("/sign-in", base_url=base, data=form).status_code == 400
    other_site = {"Referer": "https://attacker.example/"}
    assert client.post("/sign-in", base_url=base, headers=other_site, data=form).status_code == 400
    signed_in = client.post(
        "/sign-in",
        base_url=base,
        headers=referer,
        data=form,
    )
    assert signed_in.status_code == 303, signed_in.get_data(as_text=True)
    account = client.get("/account", base_url=base)
    assert account.status_code == 200
    token = csrf_token_from(account)
    signed_out = client.post(
        "/sign-out", base_url=base, headers=referer, data={"csrf_token": token}
    )
    assert signed_out.status_code == 303
    cookies = [
        cookie
        for response in (page, signed_in, account, signed_out)
        for cookie in session_cookies(response, name)
    ]
    assert len(cookies) >= 3  # one at least for the visit, the sign-in and the sign-out
    for cookie in cookies:
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= flags(cookie), cookie


def csrf_token_from(response: TestResponse) -> str:
    html = response.get_data(as_text=True)
    match = CSRF_FIELD.search(html) or CSRF_HEADER.search(html)
    assert match is not None
    return next(group for group in match.groups() if group)
