"""A password-reset request takes as long for an address with an account as for one without:
measured against a real server and compared with a rank test, not a timer threshold."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.auth.models import Role
from portal.auth.service import create_user
from portal.extensions import db
from tests.factories import PASSWORD
from tests.live import Browserless, LiveServer, serve

TRIES = 100  # of each kind


@pytest.fixture
def live_server(scratch_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(scratch_database, tmp_path, PASSWORD_RESET_LIMIT="100000 per minute")


def rank_sum_z(first: list[float], second: list[float]) -> float:
    """The Mann-Whitney U statistic of two samples as a standard normal score (ties averaged):
    near 0 when neither sample tends to be larger, beyond ±3.3 about once in a thousand."""
    pooled = sorted(
        (value, group) for group, sample in enumerate((first, second)) for value in sample
    )
    ranks: list[float] = [0.0] * len(pooled)
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    n1, n2 = len(first), len(second)
    rank_sum = sum(rank for rank, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    return (u - n1 * n2 / 2) / math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)


def test_rank_sum_z_tells_apart_shifted_samples() -> None:
    rng = random.Random(7)
    same = [rng.gauss(10, 1) for _ in range(100)]
    shifted = [rng.gauss(12, 1) for _ in range(100)]
    assert abs(rank_sum_z(same, [rng.gauss(10, 1) for _ in range(100)])) < 3.3
    assert rank_sum_z(shifted, same) > 8


def test_a_reset_request_takes_as_long_whether_or_not_the_address_has_an_account(
    live_server: LiveServer,
) -> None:
    with live_server.app.app_context():
        create_user("known@nhs.example", Role.ADMIN, password=PASSWORD)
        db.session.commit()
        db.session.remove()
    visitor = Browserless(live_server)
    token = visitor.csrf_token("/password-reset")
    # Interleaved in a shuffled order, so that any slowness left behind by one request falls on
    # the next whatever its kind.
    order = ["known@nhs.example"] * TRIES + ["nobody@nhs.example"] * TRIES
    random.Random(2026).shuffle(order)
    timings: dict[str, list[float]] = {"known@nhs.example": [], "nobody@nhs.example": []}
    for _ in range(10):  # warm up
        visitor.request(
            "POST", "/password-reset", {"email": "warm@nhs.example", "csrf_token": token}
        )
    for email in order:
        began = time.perf_counter()
        status, _ = visitor.request(
            "POST", "/password-reset", {"email": email, "csrf_token": token}
        )
        timings[email].append(time.perf_counter() - began)
        assert status == 200
    z = rank_sum_z(timings["known@nhs.example"], timings["nobody@nhs.example"])
    assert abs(z) < 3.3, f"known addresses answer measurably slower or faster (z = {z:.1f})"
    # That each request for the known address queues its link (once the answer has gone) is
    # tested through the test client in test_people.py, where the answer is closed in step.
