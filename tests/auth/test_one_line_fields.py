"""People's names are one line: a line break or a control character in an invitation or in
someone's own name is refused by the field, and nothing is changed or sent."""

from __future__ import annotations

import pytest

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.client import PortalClient
from tests.factories import make_user
from tests.web.helpers import HTMX_OR_NOT, NOT_ONE_LINE, ONE_LINE_MESSAGE, field_error


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_an_invitation_naming_someone_with_a_control_character_is_not_sent(
    client: PortalClient, value: str, htmx: bool
) -> None:
    client.sign_in(make_user("admin", "boss@example.org"))
    people = db.session.query(User).count()
    data = {"email": "new@nhs.example", "name": value, "role": "admin", "region": "", "trust": ""}
    response = client.post_form("/people/invite", data, htmx)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == f"Full name {ONE_LINE_MESSAGE}"
    assert db.session.query(User).count() == people
    assert db.session.query(OutboxMessage).count() == 0


@HTMX_OR_NOT
@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_ones_own_name_with_a_control_character_is_refused(
    client: PortalClient, value: str, htmx: bool
) -> None:
    user = make_user("admin", name="Kept Name")
    client.sign_in(user)
    response = client.post_form("/account/name", {"name": value}, htmx)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == f"Full name {ONE_LINE_MESSAGE}"
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Kept Name"
    assert db.session.query(AuditEntry).filter_by(action="user.updated").count() == 0
