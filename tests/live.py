"""A real server on loopback, on a database of its own, and a tiny client for it: for tests
whose requests must really run in parallel."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

from flask import Flask
from werkzeug.serving import make_server

from portal.extensions import db
from tests.conftest import NO_SIGN_IN_LIMITS, make_app, reset_database
from tests.factories import PASSWORD

T = TypeVar("T")


@dataclass
class LiveServer:
    app: Flask
    host: str
    port: int
    database_url: str


def serve(database_url: str, instance: Path, **overrides: object) -> Iterator[LiveServer]:
    app = make_app(database_url, instance, **NO_SIGN_IN_LIMITS, **overrides)
    reset_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, "127.0.0.1", server.server_port, database_url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


class Browserless:
    """A tiny HTTP client with a cookie jar, enough to sign in and post forms."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        status, _, body = self.exchange(method, path, form)
        return status, body

    def exchange(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, str]:
        """The status, headers and body of one request (cookies kept, as a browser does)."""
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.headers, response.read().decode()
        finally:
            conn.close()

    def csrf_token(self, path: str) -> str:
        _, html = self.request("GET", path)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert match, f"no form on {path}"
        return match.group(1)

    def sign_in(self, email: str) -> None:
        token = self.csrf_token("/sign-in")
        status, _ = self.request(
            "POST", "/sign-in", {"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert status == 303


def run_in_parallel(calls: list[Callable[[], T]]) -> list[T]:
    """Start every call at the same moment, each in its own thread; their results, in the order
    they finished."""
    start = threading.Barrier(len(calls))
    results: list[T] = []
    lock = threading.Lock()

    def run(call: Callable[[], T]) -> None:
        start.wait()
        outcome = call()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return results
