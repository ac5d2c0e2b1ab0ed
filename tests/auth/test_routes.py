from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import SignedInSession, User
from portal.extensions import db
from tests.client import HTMX, PortalClient
from tests.factories import PASSWORD, make_user

SIGNED_IN_PAGES = ["/account", "/admin/people"]


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_pages_that_need_sign_in_redirect_anonymous_visitors(
    client: PortalClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in?next={path}"


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_htmx_request_from_a_signed_out_session_gets_hx_redirect(
    client: PortalClient, path: str
) -> None:
    response = client.get(path, headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/sign-in?next=/account"
    assert response.get_data(as_text=True) == ""


def test_sign_in_with_the_right_password_opens_the_account_page(client: PortalClient) -> None:
    user = make_user("coordinator", "Coordinator@Example.org", region_slug="north-west")
    token = client.csrf_token()
    response = client.post(
        "/sign-in",
        data={"email": "  COORDINATOR@example.org ", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = client.get("/account").get_data(as_text=True)
    assert "Your account" in page
    assert "NHS North West" in page
    assert "You are signed in as Test Person" in page
    assert db.session.get(User, user.id).last_sign_in_at is not None


def test_sign_in_returns_to_a_local_next_page(client: PortalClient) -> None:
    user = make_user("admin")
    token = client.csrf_token("/sign-in?next=/admin/people")
    response = client.post(
        "/sign-in?next=/admin/people",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/people"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_sign_in_never_redirects_to_another_site(client: PortalClient, next_url: str) -> None:
    user = make_user("admin")
    token = client.csrf_token()
    response = client.post(
        "/sign-in",
        query_string={"next": next_url},
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def _failed_sign_in(client: PortalClient, email: str, password: str) -> str:
    token = client.csrf_token()
    response = client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # Per-request values (CSP nonce, signed CSRF token) differ by design; nothing else may.
    html = re.sub(r'nonce="[^"]+"', 'nonce="N"', html)
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "CSRF", html)


def test_unknown_email_and_wrong_password_get_the_same_answer(client: PortalClient) -> None:
    make_user("admin", "known@example.org")
    wrong_password = _failed_sign_in(client, "known@example.org", "not the password at all")
    unknown = _failed_sign_in(client, "nobody@example.org", "not the password at all")
    assert "The e-mail address or password is not correct" in wrong_password
    assert "There is a problem" in wrong_password

    def strip_value(html: str, value: str) -> str:
        return html.replace(value, "EMAIL")

    assert strip_value(wrong_password, "known@example.org") == strip_value(
        unknown, "nobody@example.org"
    )


def test_deactivated_person_cannot_sign_in(client: PortalClient) -> None:
    user = make_user("admin")
    user.active = False
    db.session.commit()
    page = _failed_sign_in(client, user.email, PASSWORD)
    assert "The e-mail address or password is not correct" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "password": "x"}, "Enter your e-mail address"),
        ({"email": "a@example.org", "password": ""}, "Enter your password"),
    ],
)
def test_sign_in_form_errors_are_shown_next_to_the_field(
    client: PortalClient, data: dict[str, str], message: str
) -> None:
    token = client.csrf_token()
    response = client.post("/sign-in", data={**data, "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "nhsuk-error-summary" in html
    assert "nhsuk-error-message" in html
    assert message in html


def test_failed_sign_in_over_htmx_returns_only_the_form(client: PortalClient) -> None:
    token = client.csrf_token()
    response = client.post(
        "/sign-in",
        data={"email": "nobody@example.org", "password": "wrong", "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="sign-in-form">')
    assert "<html" not in html
    assert "The e-mail address or password is not correct" in html


def test_successful_sign_in_over_htmx_reloads_the_whole_page(client: PortalClient) -> None:
    user = make_user("admin")
    token = client.csrf_token()
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_sign_in_starts_a_fresh_session(client: PortalClient) -> None:
    user = make_user("admin")
    token = client.csrf_token()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}.1"


def test_sign_in_without_a_csrf_token_is_refused(client: PortalClient) -> None:
    user = make_user("admin")
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Nothing was changed" in response.get_data(as_text=True)


def test_sign_out_ends_the_session(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    response = client.post_form("/sign-out")
    assert response.status_code == 303
    assert "You have signed out" in client.get("/").get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_sign_out_by_get_is_not_allowed(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    assert client.get("/sign-out").status_code == 405
    assert client.get("/account").status_code == 200


def test_sign_in_is_rate_limited_per_account(app: Flask, client: PortalClient) -> None:
    user = make_user("admin")
    for _ in range(5):
        _failed_sign_in(client, user.email, "wrong password")
    token = client.csrf_token()
    response = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another account from the same address is not locked out by the first one's failures.
    other = make_user("admin", "other@example.org")
    client.sign_in(other)


def test_sign_in_is_rate_limited_per_client_address(client: PortalClient) -> None:
    for n in range(20):
        _failed_sign_in(client, f"person{n}@example.org", "wrong password")
    token = client.csrf_token()
    response = client.post(
        "/sign-in", data={"email": "fresh@example.org", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 429


def test_every_rate_limit_counts_only_form_posts() -> None:
    """The limiter skips GET, HEAD and OPTIONS requests (portal/extensions.py), which is right
    only while every limit is declared for POST alone."""
    portal = Path(__file__).resolve().parents[2] / "portal"
    limits = []
    for path in portal.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("limit", "shared_limit")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "limiter"
            ):
                methods = next((k.value for k in node.keywords if k.arg == "methods"), None)
                declared = ast.literal_eval(methods) if methods is not None else None
                limits.append((f"{path.relative_to(portal)}:{node.lineno}", declared))
    assert len(limits) >= 4
    assert [where for where, declared in limits if declared != ["POST"]] == []


def test_account_page_shows_the_person_and_their_scope(client: PortalClient) -> None:
    client.sign_in(make_user("trust", name="Jo Bloggs"))
    html = client.get("/account").get_data(as_text=True)
    assert "Jo Bloggs" in html
    assert "Trust staff" in html
    assert "Test Hospitals NHS Trust" in html


def test_signed_in_pages_are_not_cached(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    assert client.get("/account").headers["Cache-Control"] == "no-store"


def test_changing_the_name_saves_it_and_audits_it(client: PortalClient) -> None:
    user = make_user("admin", name="Old Name")
    client.sign_in(user)
    response = client.post_form("/account/name", {"name": "  New Name  "})
    assert response.status_code == 303
    assert "Your name has been updated" in client.get("/account").get_data(as_text=True)
    assert db.session.get(User, user.id).name == "New Name"
    entry = db.session.query(AuditEntry).filter_by(action="user.updated").one()
    assert entry.before == {"name": "Old Name"} and entry.after == {"name": "New Name"}


def test_an_empty_name_is_refused_with_422_and_nothing_changes(client: PortalClient) -> None:
    user = make_user("admin", name="Kept Name")
    client.sign_in(user)
    response = client.post_form("/account/name", {"name": "   "}, headers=HTMX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter your full name" in html
    assert html.lstrip().startswith('<section id="name-form"')
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Kept Name"


def test_changing_the_password_needs_the_current_one(client: PortalClient) -> None:
    user = make_user("admin")
    client.sign_in(user)
    response = client.post_form(
        "/account/password",
        {
            "current_password": "wrong",
            "new_password": "a brand new password",
            "confirm_password": "a brand new password",
        },
    )
    assert response.status_code == 422
    assert "Your current password is not correct" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short", "short", "at least 12 characters"),
        ("a long enough password", "a different password", "The passwords do not match"),
        ("x" * 129, "x" * 129, "128 characters or fewer"),
    ],
)
def test_a_weak_or_mistyped_new_password_is_refused(
    client: PortalClient, new: str, confirm: str, message: str
) -> None:
    client.sign_in(make_user("admin"))
    response = client.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": confirm},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_changing_the_password_ends_other_sessions_but_not_this_one(app: Flask) -> None:
    user = make_user("admin")
    laptop, phone = app.test_client(), app.test_client()
    laptop.sign_in(user)
    phone.sign_in(user)
    response = laptop.post_form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new password",
            "confirm_password": "a brand new password",
        },
    )
    assert response.status_code == 303
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302
    assert db.session.query(AuditEntry).filter_by(action="user.password_changed").count() == 1
    # The new password works; the old one does not.
    fresh = app.test_client()
    fresh.sign_in(user, "a brand new password")


def test_deactivating_a_person_ends_their_live_session(client: PortalClient) -> None:
    user = make_user("admin")
    client.sign_in(user)
    user.active = False
    db.session.commit()
    assert client.get("/account").status_code == 302


# Pages anyone may open without signing in; every other page must send a visitor to sign in.
PUBLIC_GET_PAGES = {
    "/",
    "/about",
    "/accessibility",
    "/contact",
    "/cookies",
    "/events",
    "/feeds/events.ics",
    "/healthz",
    "/medical-advice",
    "/password-reset",
    "/privacy",
    "/regions",
    "/sign-in",
    "/stories",
    "/feeds/stories.atom",
    "/trusts",
}


def test_every_page_without_parameters_is_public_or_asks_for_sign_in(
    app: Flask, client: PortalClient
) -> None:
    """Walks the URL map, so a page added later cannot forget its sign-in check."""
    checked = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.arguments or rule.endpoint == "static":
            continue
        path = rule.rule
        checked.add(path)
        response = client.get(path)
        if path in PUBLIC_GET_PAGES:
            assert response.status_code == 200, path
        else:
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/sign-in?next="), path
    assert checked >= PUBLIC_GET_PAGES
    assert {
        "/account",
        "/admin/people",
        "/manage/events",
        "/events/new",
        "/stories/mine",
        "/stories/review",
    } <= checked - PUBLIC_GET_PAGES


# --- Only genuine failures count against the sign-in limits -------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_correct_sign_ins_never_lock_an_account(client: PortalClient, headers: dict) -> None:
    user = make_user("admin")
    for _ in range(8):  # more than the 5 failures an account is allowed
        token = client.csrf_token()
        response = client.post(
            "/sign-in",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
            headers=headers,
        )
        assert response.status_code == (204 if headers else 303)
        client.post_form("/sign-out")


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_correct_sign_ins_from_one_address_never_lock_it(
    client: PortalClient, headers: dict
) -> None:
    people = [make_user("admin", f"colleague{n}@example.org") for n in range(22)]
    for person in people:  # a room at a network event, behind one address
        token = client.csrf_token()
        response = client.post(
            "/sign-in",
            data={"email": person.email, "password": PASSWORD, "csrf_token": token},
            headers=headers,
        )
        assert response.status_code == (204 if headers else 303)
        client.post_form("/sign-out")


def test_wrong_passwords_through_htmx_count_against_the_account(client: PortalClient) -> None:
    user = make_user("admin")
    for _ in range(5):
        token = client.csrf_token()
        response = client.post(
            "/sign-in",
            data={"email": user.email, "password": "wrong password", "csrf_token": token},
            headers=HTMX,
        )
        assert response.status_code == 422
    token = client.csrf_token()
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 429


def test_a_form_with_a_missing_field_does_not_count_as_a_failure(client: PortalClient) -> None:
    user = make_user("admin")
    for _ in range(6):
        token = client.csrf_token()
        response = client.post(
            "/sign-in", data={"email": user.email, "password": "", "csrf_token": token}
        )
        assert response.status_code == 422
    client.sign_in(user)


# --- Signing out ends the session on the server -------------------------------------------------


def _session_cookie(client: PortalClient) -> str:
    cookie = client.get_cookie("portal_session")
    assert cookie is not None
    return cookie.value


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_copied_session_cookie_is_useless_after_sign_out(
    app: Flask, client: PortalClient, headers: dict
) -> None:
    client.sign_in(make_user("admin"))
    form_token = client.csrf_token("/account")
    stolen = _session_cookie(client)  # with the form token in it, as a thief would copy it
    copy = app.test_client()
    copy.set_cookie("portal_session", stolen)
    assert copy.get("/account").status_code == 200  # the copy works while the session lasts

    response = client.post("/sign-out", data={"csrf_token": form_token}, headers=headers)
    assert response.status_code == (204 if headers else 303)

    def replay() -> PortalClient:
        copy = app.test_client()
        copy.set_cookie("portal_session", stolen)
        return copy

    assert replay().get("/account").status_code == 302
    assert replay().get("/account", headers=HTMX).headers["HX-Redirect"].startswith("/sign-in")
    response = replay().post(
        "/account/name", data={"name": "Taken over", "csrf_token": form_token}, headers=headers
    )
    assert response.status_code == (401 if headers else 302)
    assert db.session.scalar(select(User.name).where(User.email == "admin@example.org")) != (
        "Taken over"
    )


def test_signing_out_on_one_device_leaves_the_others_signed_in(app: Flask) -> None:
    user = make_user("admin")
    phone, desktop = app.test_client(), app.test_client()
    phone.sign_in(user)
    desktop.sign_in(user)
    phone.post_form("/sign-out")
    assert phone.get("/account").status_code == 302
    assert desktop.get("/account").status_code == 200


def test_the_server_keeps_a_hash_of_the_session_key_never_the_key(client: PortalClient) -> None:
    user = make_user("admin")
    client.sign_in(user)
    with client.session_transaction() as session:
        key = session["_sid"]
    rows = db.session.scalars(select(SignedInSession).where(SignedInSession.user_id == user.id))
    (row,) = rows.all()
    assert row.ended_at is None and key not in row.key_hash and len(row.key_hash) == 64


# --- Return addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "/account%0d%0aSet-Cookie:%20x=1",
        "/admin/people%0D%0A",
        "/acc%09ount",
        "/account%0a",
        "%0d/x",
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_return_address_with_a_line_break_is_ignored_and_sign_in_works(
    client: PortalClient, next_url: str, headers: dict
) -> None:
    user = make_user("admin")
    token = client.csrf_token()
    response = client.post(
        f"/sign-in?next={next_url}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers=headers,
    )
    assert response.status_code == (204 if headers else 303)
    location = response.headers["HX-Redirect" if headers else "Location"]
    assert location == "/"
