"""Helpers for the programme team's pages: a signed-in admin, uploads, audit entries."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.extensions import db
from tests.conftest import csrf_token, make_user, sign_in

CSV_HEADER = "name,ods_code,region,participating\n"


def signed_in_admin(client: FlaskClient, email: str = "boss@example.org") -> User:
    admin = make_user("admin", email, name="Bea Boss")
    sign_in(client, admin)
    return admin


def form_post(
    client: FlaskClient, path: str, data: dict[str, Any], *, headers: dict[str, str] | None = None
):  # type: ignore[no-untyped-def]
    """POST a form with the session's CSRF token (taken from `path` itself, like a browser)."""
    token = csrf_token(client, "/admin/trusts/new")
    return client.post(path, data={**data, "csrf_token": token}, headers=headers or {})


def upload(client: FlaskClient, content: bytes | str, filename: str = "trusts.csv", **kwargs: Any):  # type: ignore[no-untyped-def]
    data = content.encode() if isinstance(content, str) else content
    token = csrf_token(client, "/admin/trusts/new")
    response = client.post(
        "/admin/trusts/import",
        data={"csv_file": (io.BytesIO(data), filename), "csrf_token": token},
        content_type="multipart/form-data",
        **kwargs,
    )
    # The test client spools a large request body to a temporary file and leaves it open (it
    # closes it only after following redirects); left to the garbage collector, it would warn.
    response.request.input_stream.close()
    return response


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def directory_entries() -> list[AuditEntry]:
    """Audit entries about trusts and regions (signing people up writes entries of its own)."""
    return [e for e in audit_entries() if e.object_type in {"trust", "region"}]
