from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from flask import Flask

from portal.audit.models import AuditEntry
from portal.auth.models import Role, User
from portal.auth.tokens import AccountToken
from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.client import HTMX, PortalClient
from tests.factories import PASSWORD, make_trust, make_user

NEW_PASSWORD = "a long new password for me"


def link_in_mail(address: str, kind: str) -> str:
    message = (
        db.session.query(OutboxMessage)
        .filter_by(to_address=address, kind=kind)
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    assert message is not None, f"no {kind} mail to {address}"
    match = re.search(r"https://portal\.example\.org(/\S+)", message.text_body)
    assert match
    return match.group(1)


def invite_as(client: PortalClient, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post_form("/people/invite", data, token_from="/people/invite")


# --- Invitations -----------------------------------------------------------------------------------


def test_an_admin_invites_a_coordinator_who_accepts_and_signs_in(
    app: Flask, client: PortalClient
) -> None:
    client.sign_in(make_user("admin", "boss@example.org"))
    response = invite_as(
        client,
        {
            "email": "New.Coordinator@nhs.example",
            "name": "Nia New",
            "role": "coordinator",
            "region": "south-west",
            "trust": "",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    person = db.session.query(User).filter_by(email="new.coordinator@nhs.example").one()
    assert person.password_hash is None and person.region.slug == "south-west"
    assert db.session.query(AuditEntry).filter_by(action="user.invited").count() == 1
    link = link_in_mail(person.email, "user.invitation")
    assert link.startswith("/invitations/")

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "new.coordinator@nhs.example" in page.get_data(as_text=True)
    db.session.refresh(person)
    assert person.password_hash is None  # opening the link changed nothing
    token = visitor.csrf_token(link)
    accepted = visitor.post(
        link,
        data={
            "name": "Nia New",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/"
    assert "Welcome. Your account is ready" in visitor.get("/account").get_data(as_text=True)
    again = visitor.get(link)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    fresh = app.test_client()
    fresh.sign_in(person, NEW_PASSWORD)


def test_a_forwarded_invitation_still_creates_the_invited_account(
    app: Flask, client: PortalClient
) -> None:
    client.sign_in(make_user("admin", "boss@example.org"))
    invite_as(client, {"email": "invited@nhs.example", "role": "admin", "region": "", "trust": ""})
    link = link_in_mail("invited@nhs.example", "user.invitation")
    stranger = app.test_client()
    token = stranger.csrf_token(link)
    stranger.post(
        link,
        data={
            "name": "Someone Else",
            "email": "someone.else@nhs.example",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert db.session.query(User).filter_by(email="someone.else@nhs.example").count() == 0
    assert (
        db.session.query(User).filter_by(email="invited@nhs.example").one().password_hash
        is not None
    )


def test_an_expired_invitation_cannot_be_used(app: Flask, client: PortalClient) -> None:
    client.sign_in(make_user("admin", "boss@example.org"))
    invite_as(client, {"email": "late@nhs.example", "role": "admin", "region": "", "trust": ""})
    link = link_in_mail("late@nhs.example", "user.invitation")
    token = db.session.query(AccountToken).one()
    token.expires_at = token.created_at - timedelta(seconds=1)
    db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 410 and "has expired" in response.get_data(as_text=True)


def test_resending_replaces_the_link_and_revoking_kills_it(
    app: Flask, client: PortalClient
) -> None:
    client.sign_in(make_user("admin", "boss@example.org"))
    invite_as(client, {"email": "twice@nhs.example", "role": "admin", "region": "", "trust": ""})
    person = db.session.query(User).filter_by(email="twice@nhs.example").one()
    first = link_in_mail(person.email, "user.invitation")
    assert client.post_form(f"/people/{person.id}/resend", {}).status_code == 303
    second = link_in_mail(person.email, "user.invitation")
    assert first != second
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200
    assert client.post_form(f"/people/{person.id}/revoke", {}).status_code == 303
    assert "withdrawn" in app.test_client().get(second).get_data(as_text=True)


def test_a_coordinator_invites_staff_of_their_own_regions_trusts_only(
    app: Flask, client: PortalClient
) -> None:
    own = make_trust("Own NHS Trust", "RO1", "london")
    other = make_trust("Other NHS Trust", "RX1", "north-west")
    client.sign_in(make_user("coordinator", "coord@example.org", region_slug="london"))
    ok = invite_as(client, {"email": "staff@nhs.example", "role": "trust", "trust": own.ods_code})
    assert ok.status_code == 303
    for data, message in (
        ({"email": "a@nhs.example", "role": "admin"}, "Not a valid choice"),
        (
            {"email": "c@nhs.example", "role": "coordinator", "region": "london"},
            "Not a valid choice",
        ),
        (
            {"email": "t@nhs.example", "role": "trust", "trust": other.ods_code},
            "Not a valid choice",
        ),
    ):
        response = invite_as(client, data)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert (
        db.session.query(User)
        .filter(User.email.in_(["a@nhs.example", "c@nhs.example", "t@nhs.example"]))
        .count()
        == 0
    )
    team = client.get("/team").get_data(as_text=True)
    assert "staff@nhs.example" in team and "Invited" in team


def test_who_may_manage_whom(app: Flask, client: PortalClient) -> None:
    staff = make_user(
        "trust", "staff@example.org", trust=make_trust("Far NHS Trust", "RF1", "north-west")
    )
    client.sign_in(make_user("coordinator", "coord@example.org", region_slug="london"))
    assert client.get(f"/people/{staff.id}").status_code == 404  # not their region
    assert client.post_form(f"/people/{staff.id}/active", {"active": "no"}).status_code == 404
    for headers in ({}, HTMX):
        trust_client = app.test_client()
        trust_client.sign_in(
            make_user(
                "trust",
                f"t{len(headers)}@example.org",
                trust=make_trust(f"T{len(headers)} NHS Trust", f"RT{len(headers)}", "london"),
            ),
        )
        assert trust_client.get("/people/invite", headers=headers).status_code == 403
        assert trust_client.get("/team", headers=headers).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/people/invite").status_code == 302
    assert (
        anonymous.get("/people/invite", headers=HTMX).headers["HX-Redirect"].startswith("/sign-in")
    )


def test_an_admin_changes_a_role_and_it_is_audited(client: PortalClient) -> None:
    person = make_user("coordinator", "c@example.org", region_slug="london")
    version = person.session_version
    client.sign_in(make_user("admin", "boss@example.org"))
    response = client.post_form(
        f"/people/{person.id}/role",
        {"role": "coordinator", "region": "north-east", "trust": ""},
    )
    assert response.status_code == 303
    db.session.refresh(person)
    assert person.region.slug == "north-east" and person.session_version == version + 1
    entry = db.session.query(AuditEntry).filter_by(action="user.role_changed").one()
    assert entry.before["region_id"] != entry.after["region_id"]
    bad = client.post_form(
        f"/people/{person.id}/role", {"role": "trust", "region": "", "trust": ""}
    )
    assert bad.status_code == 422 and "Choose the trust" in bad.get_data(as_text=True)


def test_deactivating_ends_a_live_session_and_reactivating_lets_them_back(
    app: Flask, client: PortalClient
) -> None:
    person = make_user("coordinator", "c@example.org", region_slug="london")
    their_browser = app.test_client()
    their_browser.sign_in(person)
    client.sign_in(make_user("admin", "boss@example.org"))
    assert client.post_form(f"/people/{person.id}/active", {"active": "no"}).status_code == 303
    assert (
        client.post_form(f"/people/{person.id}/active", {"active": "no"}).status_code == 303
    )  # harmless twice
    assert their_browser.get("/account").status_code == 302
    assert db.session.query(AuditEntry).filter_by(action="user.deactivated").count() == 1
    client.post_form(f"/people/{person.id}/active", {"active": "yes"})
    app.test_client().sign_in(person)


def test_an_admin_cannot_deactivate_or_demote_themselves(client: PortalClient) -> None:
    admin = make_user("admin", "boss@example.org")
    client.sign_in(admin)
    client.post_form(f"/people/{admin.id}/active", {"active": "no"})
    db.session.refresh(admin)
    assert admin.active


# --- Password reset ---------------------------------------------------------------------------------


def reset_page(client: PortalClient, email: str) -> str:
    response = client.post_form("/password-reset", {"email": email}, token_from="/password-reset")
    assert response.status_code == 200
    return re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True)).replace(email, "EMAIL")


def test_the_reset_page_says_the_same_whether_or_not_the_address_has_an_account(
    client: PortalClient,
) -> None:
    make_user("admin", "known@example.org")
    assert reset_page(client, "known@example.org") == reset_page(client, "unknown@example.org")
    assert db.session.query(OutboxMessage).filter_by(kind="user.password_reset").count() == 1


def test_a_reset_link_works_once_and_ends_other_sessions(app: Flask, client: PortalClient) -> None:
    person = make_user("admin", "known@example.org")
    elsewhere = app.test_client()
    elsewhere.sign_in(person)
    reset_page(client, person.email)
    link = link_in_mail(person.email, "user.password_reset")
    assert client.get(link).status_code == 200
    token = client.csrf_token(link)
    done = client.post(
        link,
        data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": token},
    )
    assert done.status_code == 303
    assert elsewhere.get("/account").status_code == 302
    assert app.test_client().get(link).status_code == 410
    app.test_client().sign_in(person, NEW_PASSWORD)


def test_password_reset_requests_are_rate_limited(client: PortalClient) -> None:
    for _ in range(5):
        reset_page(client, "someone@example.org")
    response = client.post_form(
        "/password-reset", {"email": "someone@example.org"}, token_from="/password-reset"
    )
    assert response.status_code == 429


# --- Session timeouts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "age"), [("_seen", 31 * 60), ("_started", 13 * 3600)])
def test_a_session_ends_after_30_idle_minutes_or_12_hours(
    client: PortalClient, key: str, age: int
) -> None:
    client.sign_in(make_user("admin"))
    assert client.get("/account").status_code == 200
    with client.session_transaction() as session:
        session[key] = time.time() - age
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert "You were signed out to keep your account safe" in client.get("/sign-in").get_data(
        as_text=True
    )


def test_an_expired_session_gets_hx_redirect_for_htmx(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    with client.session_transaction() as session:
        session["_seen"] = time.time() - 3600
    response = client.get("/admin/people", headers=HTMX)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/sign-in")


def test_stay_signed_in_renews_the_session(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    html = client.get("/account").get_data(as_text=True)
    assert 'id="session-timeout"' in html and 'data-idle-seconds="1800"' in html
    with client.session_transaction() as session:
        session["_seen"] = time.time() - 29 * 60
    token = re.search(r'data-csrf-token="([^"]+)"', html).group(1)
    assert client.post("/session/keep-alive", headers={"X-CSRFToken": token}).status_code == 204
    with client.session_transaction() as session:
        assert time.time() - session["_seen"] < 5


def test_the_idle_clock_restarts_when_ten_seconds_have_passed_not_on_every_request(
    client: PortalClient,
) -> None:
    client.sign_in(make_user("admin"))
    client.get("/account")
    # A second request straight after leaves the cookie alone.
    assert "Set-Cookie" not in client.get("/account").headers
    with client.session_transaction() as session:
        session["_seen"] = time.time() - 11
    response = client.get("/account")
    assert "portal_session=" in response.headers["Set-Cookie"]
    with client.session_transaction() as session:
        assert time.time() - session["_seen"] < 5


def test_roles_are_still_plain_values() -> None:
    assert Role("trust") is Role.TRUST and PASSWORD


def test_the_scope_a_role_needs_is_asked_for_next_to_its_field(client: PortalClient) -> None:
    client.sign_in(make_user("admin", "boss@example.org"))
    no_region = invite_as(
        client, {"email": "c@nhs.example", "role": "coordinator", "region": "", "trust": ""}
    )
    assert (
        no_region.status_code == 422
        and "Choose the coordinator&#39;s region" in no_region.get_data(as_text=True)
    )
    no_role = invite_as(client, {"email": "r@nhs.example", "role": "", "region": "", "trust": ""})
    assert no_role.status_code == 422 and "Choose a role" in no_role.get_data(as_text=True)
    assert (
        db.session.query(User).filter(User.email.in_(["c@nhs.example", "r@nhs.example"])).count()
        == 0
    )
