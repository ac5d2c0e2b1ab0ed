"""Benchmark of the all-events calendar feed with 500 events: a full answer (200) and the
conditional answer (304), against a bare Flask app answering a fixed string, in one run.

    .venv/bin/python bench/feeds.py [--events 500] [--requests 200]

Requests go through Flask's test client (no network), so the figures compare the portal's own
work with Flask's floor on this machine. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask

from portal import create_app
from portal.auth.models import Role
from portal.auth.service import create_user
from portal.events.models import EventState, NetworkEvent
from portal.extensions import db, utcnow
from portal.feeds.routes import built_feeds
from portal.regions.service import regions_in_order, seed_regions


def build(events: int, folder: Path) -> Flask:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "benchmark-secret-key-benchmark-secret-key",
            "PORTAL_BASE_URL": "https://portal.example.org",
            "ARGON2_MEMORY_KIB": 64,
            "ARGON2_TIME_COST": 1,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_regions()
        admin = create_user("bench@example.org", Role.ADMIN, password="benchmark password")
        regions = regions_in_order()
        first = date(2027, 1, 4)
        for n in range(events):
            region = regions[n % len(regions)]
            day = first + timedelta(days=n // len(regions))
            db.session.add(
                NetworkEvent(
                    region=region,
                    title=f"Network event {n}: promoting normal birth, sharing practice",
                    summary="Trusts share what they changed and what happened.",
                    description="## Programme\n\n- Welcome\n- Case studies from two trusts\n- Workshops",
                    event_date=day,
                    start_time=clock(9, 30),
                    end_time=clock(16, 0),
                    venue_name="Conference Centre",
                    venue_address="1 Example Street\nExampletown",
                    venue_postcode="LS1 4AP",
                    capacity=60,
                    registration_deadline=day - timedelta(days=7),
                    state=EventState.CANCELLED if n % 25 == 0 else EventState.PUBLISHED,
                    programme_year=2026 + n,  # one slot per event: the limit is not under test
                    slot=None if n % 25 == 0 else 1,
                    published_at=utcnow(),
                    created_by_id=admin.id,
                )
            )
        db.session.commit()
    return app


def measure(
    label: str, call: Callable[[], int], requests: int, expected: int
) -> dict[str, float | str]:
    for _ in range(min(20, requests)):
        assert call() == expected
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        status = call()
        timings.append(time.perf_counter() - started)
        assert status == expected, status
    timings.sort()
    return {
        "name": label,
        "mean_ms": statistics.fmean(timings) * 1000,
        "p50_ms": timings[len(timings) // 2] * 1000,
        "p99_ms": timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000,
        "rps": 1 / statistics.fmean(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    baseline_app = Flask("baseline")
    baseline_app.add_url_rule("/", "index", lambda: "ok")
    baseline = baseline_app.test_client()

    with tempfile.TemporaryDirectory() as folder:
        app = build(args.events, Path(folder))
        client = app.test_client()
        first = client.get("/feeds/events.ics")
        etag = first.headers["ETag"]
        size = len(first.data)

        def uncached() -> int:
            built_feeds.bodies.clear()
            return client.get("/feeds/events.ics").status_code

        results = [
            measure(
                "bare Flask, fixed string",
                lambda: baseline.get("/").status_code,
                args.requests,
                200,
            ),
            measure(
                f"all-events feed, {args.events} events, built (200)",
                uncached,
                args.requests // 4 or 1,
                200,
            ),
            measure(
                f"all-events feed, {args.events} events, stored (200)",
                lambda: client.get("/feeds/events.ics").status_code,
                args.requests,
                200,
            ),
            measure(
                "all-events feed, conditional (304)",
                lambda: (
                    client.get("/feeds/events.ics", headers={"If-None-Match": etag}).status_code
                ),
                args.requests,
                304,
            ),
        ]
        with app.app_context():
            db.engine.dispose()

    base = results[0]["mean_ms"]
    print(f"Feed size: {size:,} bytes for {args.events} events; {args.requests} requests each\n")
    print(f"{'what':45} {'mean ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'x baseline':>11}")
    for row in results:
        ratio = row["mean_ms"] / base  # type: ignore[operator]
        print(
            f"{row['name']:45} {row['mean_ms']:9.2f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
            f"{row['rps']:8.0f} {ratio:10.1f}x"
        )


if __name__ == "__main__":
    main()
