"""The production topology: two portal instances (gunicorn, 2 workers each, PORTAL_ENV=production)
on one PostgreSQL and one Redis, checked across the instances.

Needs TEST_DATABASE_URL naming PostgreSQL and TEST_REDIS_URL naming a Redis server (.ci/run
starts both); skipped without them, except under CI=true.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.auth.models import Role
from portal.auth.service import create_user
from portal.extensions import db
from tests.conftest import PASSWORD, make_app, reset_database
from tests.live import Browserless, LiveServer

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def _needs_postgres_and_redis(database_url: str) -> str:
    redis_url = os.environ.get("TEST_REDIS_URL", "").strip()
    if database_url.startswith("postgresql") and redis_url:
        return redis_url
    if os.environ.get("CI") == "true" and database_url.startswith("postgresql"):
        pytest.fail("TEST_REDIS_URL must name a Redis server for the topology tests in CI")
    pytest.skip("needs PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL)")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:app"]
    process = subprocess.Popen(
        [*command, "--log-level", "warning", "--graceful-timeout", "5"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the instance answers its health check
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with exit code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not answer its health check within 60 seconds")


@pytest.fixture
def two_instances(scratch_database: str, tmp_path: Path) -> Iterator[tuple[LiveServer, ...]]:
    redis_url = _needs_postgres_and_redis(scratch_database)
    # An empty Redis database of its own: counters from other runs must not leak in.
    import redis

    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    app = make_app(scratch_database, tmp_path / "setup")
    reset_database(app)
    with app.app_context():
        create_user("coordinator@nhs.example", Role.ADMIN, password=PASSWORD)
        create_user("other@nhs.example", Role.ADMIN, password=PASSWORD)
        db.session.commit()
        db.engine.dispose()
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": scratch_database.replace("postgresql+psycopg://", "postgresql://"),
        "RATELIMIT_STORAGE_URI": redis_url,
        "PORTAL_BASE_URL": "https://portal.example.org",
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "ARGON2_MEMORY_KIB": "64",
        "ARGON2_TIME_COST": "1",
    }
    processes = []
    servers = []
    try:
        for _ in ("a", "b"):
            port = _free_port()
            processes.append(_start(port, env))
            servers.append(LiveServer(app, "127.0.0.1", port, scratch_database))
        yield tuple(servers)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        store.flushdb()
        store.close()


def _attempt(server: LiveServer, email: str, password: str) -> int:
    visitor = Browserless(server)
    token = visitor.csrf_token("/sign-in")
    status, _ = visitor.request(
        "POST", "/sign-in", {"email": email, "password": password, "csrf_token": token}
    )
    return status


def test_sign_in_limits_are_counted_once_across_both_instances(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = two_instances
    email = "coordinator@nhs.example"
    failures = [_attempt(server, email, "wrong password") for server in (a, b, a, b, a)]
    assert failures == [422] * 5  # five in all, split between the instances
    assert _attempt(a, email, PASSWORD) == 429
    assert _attempt(b, email, PASSWORD) == 429
    assert _attempt(b, "other@nhs.example", PASSWORD) == 303  # other accounts are not locked


def test_signing_out_on_one_instance_ends_the_session_on_the_other(
    two_instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = two_instances
    on_a = Browserless(a)
    on_a.sign_in("coordinator@nhs.example")
    on_b = Browserless(b)
    on_b.cookies = dict(on_a.cookies)  # the same browser, its next request served by B
    assert on_b.request("GET", "/account")[0] == 200
    token = on_a.csrf_token("/account")
    status, _ = on_a.request("POST", "/sign-out", {"csrf_token": token})
    assert status == 303
    copy = Browserless(b)
    copy.cookies = dict(on_b.cookies)  # a copy of the cookie taken before signing out
    assert copy.request("GET", "/account")[0] == 302
