"""Requests over MAX_CONTENT_LENGTH are refused before their body is read, and a request no
route answers is never parsed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from portal.config import MIN_CONTENT_LENGTH, UPLOAD_MAX_BYTES
from tests.client import HTMX, PortalClient
from tests.factories import make_user

MB = 1024 * 1024
TOO_LARGE = "The file or form you sent is too large"


class WatchedBody(io.BytesIO):
    """A request body that notes every attempt to read it."""

    def __init__(self, data: bytes = b"email=a%40example.org&password=x") -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)

    def read1(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read1(size)

    def readinto(self, buffer: Any) -> int:
        self.reads += 1
        return super().readinto(buffer)

    def readline(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().readline(size)


def send(
    client: PortalClient,
    path: str,
    body: WatchedBody,
    *,
    declared: int | None = None,
    method: str = "POST",
    content_type: str = "application/x-www-form-urlencoded",
    **kwargs: Any,
):  # type: ignore[no-untyped-def]
    """Send `body`, saying it is `declared` bytes long (by default, its real length)."""
    overrides = {"CONTENT_LENGTH": str(declared)} if declared is not None else {}
    return client.open(
        path,
        method=method,
        input_stream=body,
        content_type=content_type,
        environ_overrides=overrides,
        **kwargs,
    )


def test_the_limit_leaves_room_for_the_largest_upload_and_no_more_by_default(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == MIN_CONTENT_LENGTH
    assert UPLOAD_MAX_BYTES < MIN_CONTENT_LENGTH <= UPLOAD_MAX_BYTES + 64 * 1024


@pytest.mark.parametrize("path", ["/sign-in", "/admin/trusts/import", "/no-such-page"])
@pytest.mark.parametrize("declared", [MIN_CONTENT_LENGTH + 1, 600 * MB])
def test_a_body_declared_over_the_limit_gets_413_unread(
    client: PortalClient, path: str, declared: int
) -> None:
    body = WatchedBody()
    response = send(client, path, body, declared=declared)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert TOO_LARGE in html and 'class="nhsuk-header' in html  # the NHS page
    assert "The portal accepts at most 2.1 MB at a time" in html
    assert body.reads == 0


def test_a_body_nothing_would_read_gets_413_too(client: PortalClient) -> None:
    """A GET whose body is not a form is refused all the same, unread."""
    body = WatchedBody()
    response = send(
        client, "/", body, declared=600 * MB, method="GET", content_type="application/octet-stream"
    )
    assert response.status_code == 413 and body.reads == 0


def test_an_htmx_request_over_the_limit_gets_the_page_in_place_of_the_main_content(
    client: PortalClient,
) -> None:
    response = send(client, "/sign-in", WatchedBody(), declared=600 * MB, headers=HTMX)
    assert response.status_code == 413
    assert response.headers["HX-Retarget"] == "#maincontent"


@pytest.mark.parametrize(("path", "status"), [("/no-such-page", 404), ("/regions", 405)])
def test_a_request_no_route_answers_is_not_parsed(
    client: PortalClient, path: str, status: int
) -> None:
    body = WatchedBody(b"name=" + b"x" * 100_000)
    response = send(client, path, body)
    assert response.status_code == status
    assert body.reads == 0


def test_a_form_within_the_limit_is_read_as_before(app: Flask, client: PortalClient) -> None:
    # Routed forms are still read, and checked for NUL characters.
    response = client.post(
        "/sign-in", data={"email": "a\x00b@example.org", "csrf_token": client.csrf_token()}
    )
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)
    client.sign_in(make_user("admin", "within@example.org"))  # a 303, as ever


def test_a_body_sent_without_a_length_is_read_no_further_than_the_limit(
    client: PortalClient,
) -> None:
    """A chunked body declares no length, so it cannot be refused unread: Werkzeug stops reading
    it at the limit. (It then parses what it read, here a form cut short of its CSRF token.)"""
    body = WatchedBody(b"email=" + b"x" * (5 * MB) + b"&csrf_token=" + client.csrf_token().encode())
    response = client.post(
        "/sign-in",
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
        headers={"Transfer-Encoding": "chunked"},
    )
    assert response.status_code in {400, 413}
    assert body.tell() <= MIN_CONTENT_LENGTH


def test_one_overlong_text_field_gets_413_saying_to_shorten_it(client: PortalClient) -> None:
    """Werkzeug refuses a typed field over MAX_FORM_MEMORY_SIZE (500 kB) in a form within the
    limit; the page says what to do about it."""
    response = client.post(
        "/sign-in",
        data={"email": "x" * 600_000, "csrf_token": client.csrf_token()},
        content_type="multipart/form-data",
    )
    response.request.input_stream.close()  # the test client's spooled body (see upload())
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert TOO_LARGE in html and "Shorten the text you typed" in html
