"""The test client every request test uses: one request at a time, as a real server answers it,
with a person's everyday moves — signing in and posting a form as the browser would."""

from __future__ import annotations

import re
from typing import Any

from flask import has_app_context
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.auth.models import User
from portal.extensions import db
from tests.factories import PASSWORD

#: The headers htmx sends with a request made from the account page.
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/account"}

CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)
CSRF_HEADER = re.compile(r"X-CSRFToken&#34;: &#34;([^&]+)&#34;")


class PortalClient(FlaskClient):
    """Each request gets its own app context, as in a real server: a fresh `g` and its own
    database session (on the test's connection); the test's session then reads afresh. The
    answer is read whole and closed, as a server does, so work queued for after it has run."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response

    def csrf_token(self, path: str = "/account") -> str:
        """The CSRF token of this session, read from a page the way a browser gets it (the
        account page for someone signed in; it sends anyone else to the sign-in form)."""
        html = self.get(path, follow_redirects=True).get_data(as_text=True)
        match = CSRF_FIELD.search(html)
        if match:
            return match.group(1) or match.group(2)
        match = CSRF_HEADER.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self, user: User, password: str = PASSWORD) -> None:
        """Sign in through the plain form; fails the test unless it succeeds."""
        token = self.csrf_token("/sign-in")
        response = self.post(
            "/sign-in", data={"email": user.email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 303, response.get_data(as_text=True)

    def post_form(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        htmx: bool = False,
        *,
        token_from: str = "/account",
        **kwargs: Any,
    ) -> TestResponse:
        """POST a form with the session's CSRF token, as the browser sends it: through htmx
        (with its headers) or as a plain form."""
        token = self.csrf_token(token_from)
        if htmx:
            kwargs["headers"] = {**HTMX, **kwargs.get("headers", {})}
        return self.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)
