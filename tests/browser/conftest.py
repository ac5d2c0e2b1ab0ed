"""Fixtures for browser tests: live servers on a committed SQLite database, Chromium, pages.

The servers run the real app in a thread on 127.0.0.1. Each test gets a new browser context
(no cookies shared with other tests). The NHS font server is cut off; the htmx CDN is served
from the npm copy of the same file, so its integrity hash matches, unless a test asks for the
CDN to be unreachable.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, Route, StorageState, sync_playwright
from werkzeug.serving import make_server

from portal.auth.models import Role
from portal.extensions import db
from portal.regions.service import trust_by_code
from tests.browser.helpers import DESKTOP, HTMX_FILE, watch
from tests.conftest import NO_SIGN_IN_LIMITS, make_app, reset_database
from tests.factories import make_user

CHROMIUM_MISSING = "Chromium not found: install Debian's chromium to run browser tests"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: A person of the browser tests' own, whose name the account tests may change freely.
ACCOUNT_EMAIL = "browser.account@example.org"


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session", autouse=True)
def chromium_executable() -> str:
    """Chromium's path; runs before every other fixture here, so a missing browser costs nothing."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(CHROMIUM_MISSING, pytrace=False)
        pytest.skip(CHROMIUM_MISSING)
    return path


# --- Live servers ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A migrated SQLite database with committed demo data: (URL, instance folder)."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'browser.sqlite3'}"
    instance = folder / "instance"
    app = make_app(url, instance, **NO_SIGN_IN_LIMITS)
    reset_database(app)
    with app.app_context():
        from portal.demo import load_demo_data

        load_demo_data()
        db.session.commit()
        make_user(
            Role.TRUST,
            ACCOUNT_EMAIL,
            trust=trust_by_code("ZD4"),
            name="Jordan Browser",
        )
        db.session.remove()
        db.engine.dispose()
    return url, instance


def whole_answers(app: Flask) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """`app` answering with its whole body at once, its iterator (and any open file) closed.

    When the browser drops a connection mid-answer (a tab closed at the end of a test),
    Werkzeug's development server can skip closing the answer's iterator; the garbage collector
    then closes the static file with a ResourceWarning, which `filterwarnings = error` turns into
    a failure of whichever test happens to be running.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` on a free port in a daemon thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, whole_answers(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def live_app(database: tuple[str, Path], **overrides: Any) -> Flask:
    url, instance = database
    return make_app(url, instance, **NO_SIGN_IN_LIMITS, **overrides)


@pytest.fixture(scope="session")
def default_app(browser_database: tuple[str, Path]) -> Flask:
    """The portal as configured by default: htmx from the CDN, with a local fallback."""
    return live_app(browser_database)


@pytest.fixture(scope="session")
def live_server(default_app: Flask) -> Iterator[str]:
    """Base URL of the default portal."""
    with serve(default_app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def local_htmx_server(browser_database: tuple[str, Path]) -> Iterator[str]:
    """Base URL of a second portal, on the same database, with HTMX_LOCAL_ONLY=True."""
    with serve(live_app(browser_database, HTMX_LOCAL_ONLY=True)) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def reset_server(browser_database: tuple[str, Path]) -> Iterator[str]:
    """A second portal on the same database, whose password-reset limit no test can reach."""
    with serve(live_app(browser_database, PASSWORD_RESET_LIMIT="10000 per minute")) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def htmx_cdn_url(default_app: Flask) -> str:
    """The exact CDN address the pages load htmx from (the HTMX_CDN_URL setting)."""
    return str(default_app.config["HTMX_CDN_URL"])


# --- Browser and pages -------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright, chromium_executable: str) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_executable, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, htmx_cdn_url: str) -> Iterator[NewPage]:
    """Open a tab in a fresh context: `new_page(cdn="down", javascript=False, viewport=...)`;
    `storage_state` starts it with the cookies of an earlier one (a person already signed in).

    Every tab is watched for console errors, uncaught exceptions and CSP violations
    (see `tests.browser.helpers.problems_of`).
    """
    htmx_bytes = HTMX_FILE.read_bytes()
    contexts = []

    def fulfil_htmx(route: Route) -> None:
        route.fulfill(
            status=200,
            body=htmx_bytes,
            content_type="application/javascript",
            # The page asks for it with crossorigin="anonymous" and an integrity hash.
            headers={"Access-Control-Allow-Origin": "*"},
        )

    def open_page(
        *,
        cdn: Literal["up", "down"] = "up",
        javascript: bool = True,
        viewport: dict[str, int] = DESKTOP,
        storage_state: StorageState | None = None,
    ) -> Page:
        context = browser.new_context(
            viewport=viewport, java_script_enabled=javascript, storage_state=storage_state
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        context.route("https://assets.nhs.uk/**", lambda route: route.abort())
        if cdn == "up":
            context.route(htmx_cdn_url, fulfil_htmx)
        else:
            context.route(htmx_cdn_url, lambda route: route.abort())
        page = context.new_page()
        watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A desktop tab (1280×900) with JavaScript on and a working CDN."""
    return new_page()


@pytest.fixture
def page_cdn_down(new_page: NewPage) -> Page:
    """A desktop tab whose requests to the htmx CDN fail, as on a network that blocks it."""
    return new_page(cdn="down")


@pytest.fixture
def page_no_js(new_page: NewPage) -> Page:
    """A desktop tab with JavaScript off."""
    return new_page(javascript=False)
