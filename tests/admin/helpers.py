"""Helpers for the programme team's pages: a signed-in admin, uploads, audit entries."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.extensions import db
from tests.client import PortalClient
from tests.factories import make_user

CSV_HEADER = "name,ods_code,region,participating\n"


def signed_in_admin(client: PortalClient, email: str = "boss@example.org") -> User:
    admin = make_user("admin", email, name="Bea Boss")
    client.sign_in(admin)
    return admin


def upload(client: PortalClient, content: bytes | str, filename: str = "trusts.csv", **kwargs: Any):  # type: ignore[no-untyped-def]
    data = content.encode() if isinstance(content, str) else content
    token = client.csrf_token("/admin/trusts/new")
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
