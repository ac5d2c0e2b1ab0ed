from __future__ import annotations

import logging
import random
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import limits.storage
import pytest
from flask import Flask

from portal.config import (
    MIN_CONTENT_LENGTH,
    SHARED_RATELIMIT_SCHEMES,
    ConfigError,
    from_environment,
    megabytes,
)
from portal.web.logging import RedactTokens, redact
from tests.client import PortalClient
from tests.factories import make_user

#: A production SECRET_KEY made as the README says (secrets.token_hex(32)).
STRONG_KEY = "4f0d8c1e9a7b36d2c5e8f1a0b94d7c3e6a2f5b8d1c4e7a0f3b6d9c2e5a8f1b4d"
PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "PORTAL_BASE_URL": "https://portal.example.org",
    "SMTP_HOST": "smtp.example.org",
}


def test_security_headers_on_every_page(client: PortalClient) -> None:
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "HX-Request" in headers["Vary"]
    assert "Strict-Transport-Security" not in headers  # development and tests: plain http


def test_csp_is_strict_and_its_nonce_matches_the_one_inline_script(client: PortalClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = response.get_data(as_text=True)
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts == [f' nonce="{nonce}"']
    assert client.get("/").headers["Content-Security-Policy"] != csp  # a new nonce each time


def test_csp_allows_exactly_the_pinned_htmx_file_not_the_cdn_host(client: PortalClient) -> None:
    csp = client.get("/").headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js" in script_src.split()
    assert "https://cdn.jsdelivr.net " not in script_src + " "
    assert "https://cdn.jsdelivr.net/" not in script_src.replace(
        "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js", ""
    )


def test_session_cookie_flags(app: Flask, client: PortalClient) -> None:
    response = client.get("/sign-in")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_settings_make_cookies_secure_and_send_hsts(tmp_path: Path) -> None:
    env = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    with pytest.raises(ConfigError, match="must not be memory://"):
        from_environment(str(tmp_path), env)
    env["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    with pytest.raises(ConfigError, match="PORTAL_BASE_URL"):
        from_environment(str(tmp_path), env)
    env["PORTAL_BASE_URL"] = "https://portal.example.org/"
    with pytest.raises(ConfigError, match="SMTP_HOST"):
        from_environment(str(tmp_path), env)
    env["SMTP_HOST"] = "smtp.example.org"
    settings = from_environment(str(tmp_path), env)
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["PORTAL_BASE_URL"] == "https://portal.example.org"


@pytest.mark.parametrize("key", ["", "dev", "change-me", "short-but-not-32"])
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path: Path, key: str) -> None:
    env = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": key,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "PORTAL_BASE_URL": "https://portal.example.org",
    }
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        from_environment(str(tmp_path), env)


def test_production_refuses_per_process_rate_limit_counters(tmp_path: Path) -> None:
    env = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "PORTAL_BASE_URL": "https://p.example.org",
    }
    with pytest.raises(ConfigError, match="shared store"):
        from_environment(str(tmp_path), env)


@pytest.mark.parametrize(
    "key",
    [
        "a" * 64,
        "ab" * 32,
        "0123456789" * 4,
        "abcdefghijklmnopqrstuvwxyz012345",
        "Password1!" * 4,
        "Password1!" * 4 + "x",
        "correct-horse-" * 3,
        "aAbB" * 10,
        # Seven letters shuffled: no repeats or runs, but too few characters to be a random key.
        "cbdfaageaceaebaaddabaedageabffeaeedabaegbcdbeaecegfbaeefbcaefaea",
    ],
)
def test_production_refuses_a_long_key_that_was_not_made_at_random(
    tmp_path: Path, key: str
) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY") as refused:
        from_environment(str(tmp_path), {**PRODUCTION, "SECRET_KEY": key})
    message = str(refused.value)
    assert "secrets.token_hex(32)" in message  # how to make a good one
    assert key not in message  # a start-up error may be logged: the key is never in it


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: secrets.token_hex(32),
        lambda: secrets.token_hex(16),
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_urlsafe(24),
    ],
    ids=["token_hex(32)", "token_hex(16)", "token_urlsafe(32)", "token_urlsafe(24)"],
)
def test_production_accepts_random_keys(tmp_path: Path, make_key: Callable[[], str]) -> None:
    for _ in range(5):
        key = make_key()
        assert (
            from_environment(str(tmp_path), {**PRODUCTION, "SECRET_KEY": key})["SECRET_KEY"] == key
        )


def test_random_keys_of_the_shortest_kind_pass_without_fail(tmp_path: Path) -> None:
    """2,000 keys shaped like secrets.token_hex(16) (32 hex digits), from a fixed seed: none is
    refused, so the check does not turn down a key that is random but happens to look less so."""
    chooser = random.Random(2008)
    for _ in range(2000):
        key = f"{chooser.getrandbits(128):032x}"
        from_environment(str(tmp_path), {**PRODUCTION, "SECRET_KEY": key})


@pytest.mark.parametrize(
    ("uri", "refusal"),
    [
        ("memory://", "must not be memory://"),
        ("MEMORY://", "must not be memory://"),
        ("Memory://", "must not be memory://"),
        ("memory:", "must not be memory://"),
        ("async+memory://", "shared store"),
        ("async+redis://redis:6379/0", "shared store"),  # Flask-Limiter cannot use async storage
        ("localhost:6379", "shared store"),
        ("http://redis:6379", "shared store"),
    ],
)
def test_production_refuses_a_rate_limit_store_each_worker_keeps_apart(
    tmp_path: Path, uri: str, refusal: str
) -> None:
    with pytest.raises(ConfigError, match=refusal):
        from_environment(str(tmp_path), {**PRODUCTION, "RATELIMIT_STORAGE_URI": uri})
    # REDIS_URL, read when RATELIMIT_STORAGE_URI is not set, is checked the same way.
    env = {**PRODUCTION, "REDIS_URL": uri}
    del env["RATELIMIT_STORAGE_URI"]
    with pytest.raises(ConfigError, match=refusal):
        from_environment(str(tmp_path), env)


@pytest.mark.parametrize(
    "uri",
    [
        "redis://redis:6379/0",
        "REDIS://redis:6379/0",
        "rediss://:password@redis.example.org:6380/0",
        "redis+unix:///run/redis.sock",
        "redis+sentinel://sentinel:26379/mymaster",
        "redis+cluster://node1:7000,node2:7000",
        "valkey://valkey:6379",
        "memcached://memcached:11211",
        "mongodb://mongo:27017",
    ],
)
def test_production_accepts_shared_rate_limit_stores(tmp_path: Path, uri: str) -> None:
    settings = from_environment(str(tmp_path), {**PRODUCTION, "RATELIMIT_STORAGE_URI": uri})
    assert settings["RATELIMIT_STORAGE_URI"] == uri


def test_every_accepted_store_is_one_flask_limiter_can_use() -> None:
    for scheme in SHARED_RATELIMIT_SCHEMES:
        assert scheme in limits.storage.SCHEMES
        assert limits.storage.SCHEMES[scheme] is not limits.storage.MemoryStorage


def test_a_refused_store_address_is_not_repeated_with_its_password(tmp_path: Path) -> None:
    env = {**PRODUCTION, "RATELIMIT_STORAGE_URI": "redis-typo://user:hunter2@redis:6379"}
    with pytest.raises(ConfigError, match="redis-typo://") as refused:
        from_environment(str(tmp_path), env)
    assert "hunter2" not in str(refused.value)


def test_max_content_length_is_read_from_the_environment(tmp_path: Path) -> None:
    assert from_environment(str(tmp_path), {})["MAX_CONTENT_LENGTH"] == MIN_CONTENT_LENGTH
    raised = from_environment(str(tmp_path), {"MAX_CONTENT_LENGTH": "10485760"})
    assert raised["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH must be at least 2162688 bytes"):
        from_environment(str(tmp_path), {"MAX_CONTENT_LENGTH": "1048576"})
    with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH must be a whole number"):
        from_environment(str(tmp_path), {"MAX_CONTENT_LENGTH": "10MB"})
    assert (megabytes(2 * 1024 * 1024), megabytes(MIN_CONTENT_LENGTH)) == ("2 MB", "2.1 MB")


def test_hsts_in_production(app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.org")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    app = app_factory(RATELIMIT_STORAGE_URI="memory://")
    response = app.test_client().get("/cookies", base_url="https://portal.example.org")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_database_url_selects_postgresql_with_psycopg3(tmp_path: Path) -> None:
    settings = from_environment(str(tmp_path), {"DATABASE_URL": "postgres://u:p@db/portal"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/portal"
    default = from_environment(str(tmp_path), {})
    assert default["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/portal.sqlite3"


def test_a_bad_number_in_the_environment_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="EVENTS_PER_REGION must be a whole number"):
        from_environment(str(tmp_path), {"EVENTS_PER_REGION": "three"})


def test_trusted_proxy_count_makes_the_client_address_right(app_factory: Any) -> None:
    app = app_factory(TRUSTED_PROXY_COUNT=1)
    seen: list[str | None] = []

    @app.get("/_whoami")
    def whoami() -> str:
        from flask import request

        seen.append(request.remote_addr)
        return "ok"

    app.test_client().get(
        "/_whoami",
        headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert seen == ["203.0.113.9"]  # the address the one trusted proxy saw, not a spoofed one


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"GET /feeds/private/s3cr3tKey.ics HTTP/1.1"', '"GET /feeds/private/[redacted] HTTP/1.1"'),
        ('"GET /invitations/abc.def HTTP/1.1"', '"GET /invitations/[redacted] HTTP/1.1"'),
        ('"GET /password-reset/tok?x=1 HTTP/1.1"', '"GET /password-reset/[redacted]?x=1 HTTP/1.1"'),
        ('"GET /x?token=abc&page=2 HTTP/1.1"', '"GET /x?token=[redacted]&page=2 HTTP/1.1"'),
        (
            '"POST /bookings/self-service/eyJy.abc HTTP/1.1"',
            '"POST /bookings/self-service/[redacted] HTTP/1.1"',
        ),
        ('"GET /regions/london HTTP/1.1"', '"GET /regions/london HTTP/1.1"'),
    ],
)
def test_tokens_in_urls_are_redacted(app: Flask, line: str, expected: str) -> None:
    """The secret parts are those the app's routes name `<token>`."""
    assert redact(line) == expected


def test_access_log_records_are_redacted_for_werkzeug_and_gunicorn() -> None:
    werkzeug = logging.LogRecord(
        "werkzeug",
        20,
        "",
        0,
        '%s "%s" %s',
        ("127.0.0.1", "GET /invitations/abc HTTP/1.1", "200"),
        None,
    )
    RedactTokens().filter(werkzeug)
    assert "abc" not in werkzeug.getMessage()
    gunicorn = logging.LogRecord("gunicorn.access", 20, "", 0, "%(r)s", None, None)
    gunicorn.args = {"r": "GET /feeds/private/k3y HTTP/1.1", "U": "/feeds/private/k3y", "s": "200"}
    RedactTokens().filter(gunicorn)
    assert "k3y" not in gunicorn.getMessage() and "k3y" not in gunicorn.args["U"]


def test_server_errors_get_a_generic_nhs_page(app_factory: Any) -> None:
    app = app_factory(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/_boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in html
    assert "secret detail" not in html and "Traceback" not in html


def test_forbidden_is_an_nhs_styled_403(client: PortalClient) -> None:
    client.sign_in(make_user("coordinator"))
    response = client.get("/admin/people")
    assert response.status_code == 403
    assert "You do not have permission to see this page" in response.get_data(as_text=True)


def test_absolute_links_come_from_the_base_url_not_the_host_header(app: Flask) -> None:
    from portal.web.urls import absolute_url

    with app.test_request_context("/", base_url="http://attacker.example"):
        assert (
            absolute_url("regions.region", slug="london")
            == "https://portal.example.org/regions/london"
        )
