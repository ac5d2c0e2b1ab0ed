"""Load benchmark: the portal under gunicorn against a bare Flask app, measured with wrk.

    make bench                      # or: .venv/bin/python bench/run.py

Builds the large dataset of bench/dataset.py in a fresh database (SQLite in a temporary folder,
or, when DATABASE_URL names a PostgreSQL database, a new database beside it called
<name>_bench, dropped afterwards), serves the portal and a bare Flask app (bench/bare.py) with
gunicorn (2 workers each) on loopback, and runs wrk against each page in turn at 16 connections.

Settings (environment): BENCH_SECONDS (seconds per page, default 10), BENCH_CONNECTIONS (16),
BENCH_OUT (default bench/results.json). Prints a table; writes a list of
{"name", "rps", "p50_ms", "p99_ms", "ratio"} to BENCH_OUT, then each worker's peak memory.
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
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
OUT = Path(os.environ.get("BENCH_OUT", str(ROOT / "bench" / "results.json")))
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
SECRET = "benchmark-secret-key-benchmark-secret-key-0123456789"


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    ratio: float = 1.0


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


def build_dataset(url: str, folder: Path) -> dict[str, int]:
    from flask_migrate import upgrade

    from bench.dataset import build
    from portal import create_app
    from portal.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": SECRET}
    )
    with app.app_context():
        upgrade()
        counts = build()
        db.engine.dispose()
    return counts


def serve(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
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


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian), then run again")
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    url, to_drop = prepare_database(folder)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        print(f"Building the dataset in {url.split('@')[-1]} …", flush=True)
        started = time.monotonic()
        counts = build_dataset(url, folder)
        print(f"  {counts} in {time.monotonic() - started:.0f} s", flush=True)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "PORTAL_BASE_URL": "https://portal.example.org",
            "MAIL_FOLDER": str(folder / "mail"),
            "LOG_LEVEL": "WARNING",
        }
        bare_port, portal_port = free_port(), free_port()
        bare = serve("bench.bare:app", bare_port, env)
        processes.append(bare)
        portal = serve("app:app", portal_port, env)
        processes.append(portal)
        base = f"http://127.0.0.1:{portal_port}"
        targets = pick_targets(base)
        feed = urllib.request.urlopen(f"{base}/feeds/events.ics")
        etag = feed.headers["ETag"]

        results = [measure("bare Flask (baseline)", f"http://127.0.0.1:{bare_port}/")]
        plan = [
            ("home", "/", None),
            ("events list", "/events", None),
            ("event page", targets["event"], None),
            ("stories search", "/stories?q=midwife+continuity", None),
            ("story page", targets["story"], None),
            ("events feed (200)", "/feeds/events.ics", None),
            ("events feed (304)", "/feeds/events.ics", {"If-None-Match": etag}),
        ]
        for name, path, headers in plan:
            print(f"  measuring {name} …", flush=True)
            results.append(measure(name, base + path, headers))
        baseline = results[0].rps
        for result in results:
            result.ratio = round(result.rps / baseline, 3)

        print()
        print(f"{'page':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>9}")
        for r in results:
            print(f"{r.name:<24}{r.rps:>10.1f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}{r.ratio:>9.3f}")
        peaks = worker_peaks(portal)
        print(f"\nPortal workers' peak resident memory: {', '.join(f'{p} MB' for p in peaks)}")
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
        print(f"Written to {OUT}")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        if to_drop:
            drop_database(to_drop)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
