"""The programme team's mail page: what failed, and trying it again."""

from __future__ import annotations

import re

import pytest

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.mail.models import MailStatus
from tests.client import HTMX, PortalClient
from tests.factories import make_user
from tests.mail.helpers import failed, queue, reload


def test_anonymous_visitors_are_asked_to_sign_in(client: PortalClient) -> None:
    response = client.get("/admin/mail")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/admin/mail"


@pytest.mark.parametrize("role", ["coordinator", "trust"])
def test_only_the_programme_team_sees_mail(client: PortalClient, role: str) -> None:
    message = failed(1)
    client.sign_in(make_user(role))
    assert client.get("/admin/mail").status_code == 403
    assert client.get("/admin/mail", headers=HTMX).status_code == 403
    response = client.post_form(f"/admin/mail/{message.id}/retry")
    assert response.status_code == 403
    assert reload(message).status is MailStatus.FAILED
    assert "/admin/mail" not in client.get("/account").get_data(as_text=True)


def test_the_admin_sees_counts_and_failed_messages(client: PortalClient) -> None:
    queue(1)
    message = failed(2, attempts=8, error="Recipient refused: 550 5.1.1 no such user")
    client.sign_in(make_user("admin"))
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


def test_nothing_failed_says_so(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "No messages have failed." in page


def test_the_admin_tries_a_failed_message_again(client: PortalClient) -> None:
    admin = make_user("admin")
    message = failed(1)
    client.sign_in(admin)
    response = client.post_form(f"/admin/mail/{message.id}/retry", token_from="/admin/mail")
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
    again = client.post_form(f"/admin/mail/{message.id}/retry")
    assert again.status_code == 303
    assert "already queued or sent" in client.get("/admin/mail").get_data(as_text=True)
    assert db.session.query(AuditEntry).filter_by(action="mail.retried").count() == 1


def test_trying_again_needs_the_forms_csrf_token(client: PortalClient) -> None:
    message = failed(1)
    client.sign_in(make_user("admin"))
    response = client.post(f"/admin/mail/{message.id}/retry")
    assert response.status_code == 400
    assert reload(message).status is MailStatus.FAILED
    token = client.csrf_token("/admin/mail")
    assert (
        client.post(f"/admin/mail/{message.id}/retry", data={"csrf_token": token}).status_code
        == 303
    )


def test_trying_again_with_htmx_redirects_with_hx_location(client: PortalClient) -> None:
    message = failed(1)
    client.sign_in(make_user("admin"))
    response = client.post_form(f"/admin/mail/{message.id}/retry", headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Location"] == "/admin/mail"


def test_an_unknown_message_is_not_found(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    assert client.post_form("/admin/mail/999999/retry").status_code == 404


def test_erased_messages_show_no_personal_data_and_cannot_be_retried(client: PortalClient) -> None:
    from portal.mail.service import erase_bodies

    message = failed(1)
    erase_bodies([message.id])
    db.session.commit()
    client.sign_in(make_user("admin"))
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Erased with the attendee" in page and "person1@example.org" not in page
    assert f"/admin/mail/{message.id}/retry" not in page
    client.post_form(f"/admin/mail/{message.id}/retry")
    assert "cannot be sent" in client.get("/admin/mail").get_data(as_text=True)


def test_failed_messages_are_paginated(client: PortalClient) -> None:
    for n in range(30):
        failed(n)
    client.sign_in(make_user("admin"))
    first = client.get("/admin/mail").get_data(as_text=True)
    assert "Page 2 of 2" in first and "Message 29" in first and "Message 4<" not in first
    second = client.get("/admin/mail?page=2").get_data(as_text=True)
    assert "Message 4<" in second and "Message 29" not in second and "Page 1 of 2" in second
    assert "Message 0<" in client.get("/admin/mail?page=99").get_data(as_text=True)
