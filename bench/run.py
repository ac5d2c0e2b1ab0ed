"""Load benchmark: the portal under gunicorn against a bare Flask app, measured with wrk.

    make bench                      # or: .venv/bin/python bench/run.py

For each scale, builds the dataset of bench/dataset.py in a fresh database (SQLite in a
temporary folder, or, when DATABASE_URL names a PostgreSQL database, a new database beside it
called <name>_bench, dropped afterwards), serves a bare Flask app (bench/bare.py) and the portal
twice, with its page cache on and off (`PAGE_CACHE_SIZE=0`), with gunicorn (2 workers each) on
loopback, and runs wrk against each page in turn at 16 connections: the anonymous pages with the
cache on and off, then, for each role, the pages a signed-in person loads (never cached: they
hold a person's data), with the session cookie of a real sign-in.

Settings (environment): BENCH_SECONDS (seconds per page, default 10), BENCH_CONNECTIONS (16),
BENCH_SCALES (default "1,10": the dataset at 1× and 10×), BENCH_ROLES (default
"trust,coordinator,admin"; "none" measures anonymous pages only), BENCH_OUT (default
bench/results.json). Prints a table per scale and, when both scales ran, each page's ratio at 10×
against 1×; writes a list of {"name", "rps", "p50_ms", "p99_ms", "ratio", "scale", "cache"} to
BENCH_OUT, and each portal worker's peak memory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import PASSWORD, PEOPLE, Built, build  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
OUT = Path(os.environ.get("BENCH_OUT", str(ROOT / "bench" / "results.json")))
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
SCALES = [int(n) for n in os.environ.get("BENCH_SCALES", "1,10").split(",") if n.strip()]
_roles = os.environ.get("BENCH_ROLES", "trust,coordinator,admin").strip()
ROLES = [] if _roles in ("", "none") else [r.strip() for r in _roles.split(",")]
SECRET = "benchmark-secret-key-benchmark-secret-key-0123456789"


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    ratio: float = 1.0
    scale: int = 1
    cache: str = "on"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(folder: Path) -> tuple[str, str | None]:
    """(URL for the portal, URL of a PostgreSQL database to drop afterwards or None)."""
    given = os.environ.get("DATABASE_URL", "").strip()
    if not given.startswith(("postgres://", "postgresql")):
        return f"sqlite:///{folder / 'bench.sqlite3'}", None
    from sqlalchemy import create_engine, make_url, text

    from portal.config import database_url

    url = make_url(database_url({"DATABASE_URL": given}, str(folder)))
    bench_url = url.set(database=f"{url.database}_bench")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{bench_url.database}"'))
        connection.execute(text(f'CREATE DATABASE "{bench_url.database}"'))
    admin.dispose()
    rendered = bench_url.render_as_string(hide_password=False)
    return rendered, rendered


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def build_dataset(url: str, folder: Path, scale: int) -> Built:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": SECRET}
    )
    with app.app_context():
        upgrade()
        built = build(scale)
        db.engine.dispose()
    return built


def serve(app: str, port: int, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except OSError as exc:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn for {app} stopped (exit {process.returncode})") from exc
            time.sleep(0.3)
    raise SystemExit(f"gunicorn for {app} did not answer in time")


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(name: str, url: str, headers: dict[str, str] | None = None) -> Result:
    command = ["wrk", "--threads", "2", "--connections", str(CONNECTIONS), "--latency"]
    for key, value in (headers or {}).items():
        command += ["--header", f"{key}: {value}"]
    # A short warm-up (caches, connection pools), then the measured run.
    subprocess.run([*command, "--duration", "2s", url], check=True, capture_output=True)
    output = subprocess.run(
        [*command, "--duration", f"{SECONDS}s", url], check=True, capture_output=True, text=True
    ).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"{name}: some answers were errors\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    return Result(name, round(rps, 1), round(p50, 2), round(p99, 2))


def worker_peaks(master: subprocess.Popen[bytes]) -> list[float]:
    """Peak resident memory (VmHWM) of each gunicorn worker, in MB."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        kib = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        peaks.append(round(kib / 1024, 1))
    return peaks


def pick_targets(base: str) -> dict[str, str]:
    """A published upcoming event, a story and a search word, found through the portal's pages."""
    events = urllib.request.urlopen(f"{base}/events").read().decode()
    event = re.search(r'href="(/events/\d+)"', events).group(1)  # type: ignore[union-attr]
    stories = urllib.request.urlopen(f"{base}/stories").read().decode()
    story = re.search(r'href="(/stories/\d+)"', stories).group(1)  # type: ignore[union-attr]
    return {"event": event, "story": story}


def sign_in(base: str, email: str) -> str:
    """Sign in through the form as a person would; the Cookie header of that session."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}  # type: ignore[union-attr]
    opener.open(f"{base}/sign-in", urllib.parse.urlencode(form).encode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    account = urllib.request.Request(f"{base}/account", headers={"Cookie": cookie})
    if "Sign out" not in urllib.request.urlopen(account).read().decode():
        raise SystemExit(f"could not sign in as {email}")
    return cookie


def run_scale(scale: int, folder: Path) -> tuple[list[Result], dict[str, list[float]]]:
    """Every measurement at one scale of the dataset, and the portal workers' peak memory."""
    url, to_drop = prepare_database(folder)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        print(f"Building the dataset at {scale}× in {url.split('@')[-1]} …", flush=True)
        started = time.monotonic()
        built = build_dataset(url, folder, scale)
        print(f"  {built.counts} in {time.monotonic() - started:.0f} s", flush=True)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "PORTAL_BASE_URL": "https://portal.example.org",
            "MAIL_FOLDER": str(folder / "mail"),
            "LOG_LEVEL": "WARNING",
            # One sign-in per role and server; the limits would not be reached, but say so.
            "SIGN_IN_LIMIT_PER_ADDRESS": "1000 per minute",
        }
        bare_port, cached_port, uncached_port = free_port(), free_port(), free_port()
        bare = serve("bench.bare:app", bare_port, env)
        processes.append(bare)
        servers = {
            "on": serve("app:app", cached_port, env),
            "off": serve("app:app", uncached_port, {**env, "PAGE_CACHE_SIZE": "0"}),
        }
        processes.extend(servers.values())
        bases = {
            "on": f"http://127.0.0.1:{cached_port}",
            "off": f"http://127.0.0.1:{uncached_port}",
        }
        targets = pick_targets(bases["on"])
        feed = urllib.request.urlopen(f"{bases['on']}/feeds/events.ics")
        etag = feed.headers["ETag"]

        print("  measuring bare Flask (baseline) …", flush=True)
        results = [measure("bare Flask (baseline)", f"http://127.0.0.1:{bare_port}/")]
        results[0].scale = scale
        anonymous = [
            ("home", "/", None),
            ("events list", "/events", None),
            ("event page", targets["event"], None),
            ("stories search", "/stories?q=midwife+continuity", None),
            ("story page", targets["story"], None),
            ("events feed (200)", "/feeds/events.ics", None),
            ("events feed (304)", "/feeds/events.ics", {"If-None-Match": etag}),
        ]
        for cache in ("on", "off"):
            for name, path, headers in anonymous:
                print(f"  measuring {name}, cache {cache} …", flush=True)
                result = measure(name, bases[cache] + path, headers)
                result.scale, result.cache = scale, cache
                results.append(result)
        for role in ROLES:
            cookie = sign_in(bases["off"], PEOPLE[role])
            for name, path in built.pages.items():
                if not name.startswith(f"{role}:"):
                    continue
                print(f"  measuring {name} …", flush=True)
                result = measure(name, bases["off"] + path, {"Cookie": cookie})
                result.scale, result.cache = scale, "off"
                results.append(result)
        baseline = results[0].rps
        for result in results:
            result.ratio = round(result.rps / baseline, 3)
        peaks = {cache: worker_peaks(server) for cache, server in servers.items()}
        return results, peaks
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        if to_drop:
            drop_database(to_drop)


def print_table(scale: int, results: list[Result], peaks: dict[str, list[float]]) -> None:
    print()
    print(f"Dataset at {scale}×")
    print(f"{'page':<36}{'cache':>6}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>9}")
    for r in results:
        print(
            f"{r.name:<36}{r.cache:>6}{r.rps:>10.1f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}{r.ratio:>9.3f}"
        )
    for cache, worker_mb in peaks.items():
        print(
            f"Portal workers' peak resident memory, cache {cache}: "
            + ", ".join(f"{mb} MB" for mb in worker_mb)
        )


def print_growth(results: list[Result]) -> None:
    """Each page's ratio at the largest scale against its ratio at 1×."""
    largest = max(r.scale for r in results)
    at_one = {(r.name, r.cache): r.ratio for r in results if r.scale == 1}
    print()
    print(f"How cost grows: ratio at {largest}× as a share of the ratio at 1×")
    for r in results:
        if r.scale == largest and (r.name, r.cache) in at_one and at_one[(r.name, r.cache)]:
            share = r.ratio / at_one[(r.name, r.cache)]
            print(f"{r.name:<36}{r.cache:>6}{share:>9.0%}")


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian), then run again")
    unknown = set(ROLES) - set(PEOPLE)
    if unknown:
        raise SystemExit(f"BENCH_ROLES: unknown role(s) {', '.join(sorted(unknown))}")
    everything: list[Result] = []
    for scale in SCALES:
        folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        try:
            results, peaks = run_scale(scale, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print_table(scale, results, peaks)
        everything += results
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps([asdict(r) for r in everything], indent=2) + "\n")
    if 1 in SCALES and len(SCALES) > 1:
        print_growth(everything)
    print(f"Written to {OUT}")


if __name__ == "__main__":
    main()
