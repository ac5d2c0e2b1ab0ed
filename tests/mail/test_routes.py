"""The programme team's mail page: what failed, and trying it again."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.mail.models import MailStatus
from tests.conftest import HTMX, csrf_token, make_user, post, sign_in
from tests.mail.helpers import failed, queue, reload


def test_anonymous_visitors_are_asked_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/admin/mail")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/admin/mail"


@pytest.mark.parametrize("role", ["coordinator", "trust"])
def test_only_the_programme_team_sees_mail(client: FlaskClient, role: str) -> None:
    message = failed(1)
    sign_in(client, make_user(role))
    assert client.get("/admin/mail").status_code == 403
    assert client.get("/admin/mail", headers=HTMX).status_code == 403
    response = post(client, f"/admin/mail/{message.id}/retry")
    assert response.status_code == 403
    assert reload(message).status is MailStatus.FAILED
    assert "/admin/mail" not in client.get("/account").get_data(as_text=True)


def test_the_admin_sees_counts_and_failed_messages(client: FlaskClient) -> None:
    queue(1)
    message = failed(2, attempts=8, error="Recipient refused: 550 5.1.1 no such user")
    sign_in(client, make_user("admin"))
    page = client.get("/admin/mail").get_data(as_text=True)
    assert 'href="/admin/mail"' in page  # in the header's navigation
    assert re.search(r"Waiting to be sent</dt>\s*<dd[^>]*>1<", page)
    assert re.search(r"Sent</dt>\s*<dd[^>]*>0<", page)
    assert re.search(r"Failed</dt>\s*<dd[^>]*>1<", page)
    assert "Message 2" in page and "To person2@example.org" in page
    assert "test.message" in page
    assert "Recipient refused: 550 5.1.1 no such user" in page
    assert ">8</td>" in page
    assert f'action="/admin/mail/{message.id}/retry"' in page
    assert "Message 1" not in page  # waiting, not failed


def test_nothing_failed_says_so(client: FlaskClient) -> None:
    sign_in(client, make_user("admin"))
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "No messages have failed." in page


def test_the_admin_tries_a_failed_message_again(client: FlaskClient) -> None:
    admin = make_user("admin")
    message = failed(1)
    sign_in(client, admin)
    response = post(client, f"/admin/mail/{message.id}/retry", token_from="/admin/mail")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/mail"
    row = reload(message)
    assert (row.status, row.attempts) == (MailStatus.PENDING, 0)
    entry = db.session.query(AuditEntry).filter_by(action="mail.retried").one()
    assert entry.actor_id == admin.id and entry.object_type == "outbox_message"
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "“Message 1” will be sent again in a moment." in page
    assert "No messages have failed." in page

    # A second press (a double tap, or another admin) changes nothing and says why.
    again = post(client, f"/admin/mail/{message.id}/retry")
    assert again.status_code == 303
    assert "already queued or sent" in client.get("/admin/mail").get_data(as_text=True)
    assert db.session.query(AuditEntry).filter_by(action="mail.retried").count() == 1


def test_trying_again_needs_the_forms_csrf_token(client: FlaskClient) -> None:
    message = failed(1)
    sign_in(client, make_user("admin"))
    response = client.post(f"/admin/mail/{message.id}/retry")
    assert response.status_code == 400
    assert reload(message).status is MailStatus.FAILED
    token = csrf_token(client, "/admin/mail")
    assert (
        client.post(f"/admin/mail/{message.id}/retry", data={"csrf_token": token}).status_code
        == 303
    )


def test_trying_again_with_htmx_redirects_with_hx_location(client: FlaskClient) -> None:
    message = failed(1)
    sign_in(client, make_user("admin"))
    response = post(client, f"/admin/mail/{message.id}/retry", headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Location"] == "/admin/mail"


def test_an_unknown_message_is_not_found(client: FlaskClient) -> None:
    sign_in(client, make_user("admin"))
    assert post(client, "/admin/mail/999999/retry").status_code == 404


def test_erased_messages_show_no_personal_data_and_cannot_be_retried(client: FlaskClient) -> None:
    from portal.mail.service import erase_bodies

    message = failed(1)
    erase_bodies([message.id])
    db.session.commit()
    sign_in(client, make_user("admin"))
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Erased with the attendee" in page and "person1@example.org" not in page
    assert f"/admin/mail/{message.id}/retry" not in page
    post(client, f"/admin/mail/{message.id}/retry")
    assert "cannot be sent" in client.get("/admin/mail").get_data(as_text=True)


def test_failed_messages_are_paginated(client: FlaskClient) -> None:
    for n in range(30):
        failed(n)
    sign_in(client, make_user("admin"))
    first = client.get("/admin/mail").get_data(as_text=True)
    assert "Page 2 of 2" in first and "Message 29" in first and "Message 4<" not in first
    second = client.get("/admin/mail?page=2").get_data(as_text=True)
    assert "Message 4<" in second and "Message 29" not in second and "Page 1 of 2" in second
    assert "Message 0<" in client.get("/admin/mail?page=99").get_data(as_text=True)
