"""Invented Robson counts for the demo trusts that have monthly figures: their last 12 months,
the women of each month (its deliveries) shared among the groups in proportions like those of an
English maternity unit, from a fixed seed. Demo data, marked as such wherever the trusts appear;
one trust gives groups 2 and 4 whole, as a trust that does not split them would."""

from __future__ import annotations

import math
import random

from sqlalchemy import select

from portal.extensions import db
from portal.measures.models import MonthlyCounts
from portal.regions.models import Trust
from portal.robson.models import RobsonCount, RobsonMonth
from portal.robson.service import POSITION

MONTHS = 12
#: Each group's share of the women and its caesarean rate (invented, of a plausible shape).
SHAPE = {
    "1": (0.25, 0.12),
    "2a": (0.12, 0.30),
    "2b": (0.03, 1.0),
    "3": (0.28, 0.03),
    "4a": (0.07, 0.10),
    "4b": (0.03, 1.0),
    "5": (0.10, 0.70),
    "6": (0.02, 0.90),
    "7": (0.015, 0.80),
    "8": (0.015, 0.60),
    "9": (0.004, 1.0),
    "10": (0.066, 0.35),
}
WHOLE = {"ZD2"}  # gives groups 2 and 4 whole


def _count(rng: random.Random, n: int, p: float) -> int:
    spread = math.sqrt(max(n * p * (1 - p), 1e-9))
    return max(0, min(n, round(rng.gauss(n * p, spread))))


def _groups(rng: random.Random, deliveries: int, whole: bool) -> dict[str, tuple[int, int]]:
    women = {code: round(deliveries * share) for code, (share, _rate) in SHAPE.items()}
    women["3"] += deliveries - sum(women.values())  # every woman in a group
    counts = {code: (n, _count(rng, n, SHAPE[code][1])) for code, n in women.items()}
    if whole:
        for parent in ("2", "4"):
            a, b = counts.pop(f"{parent}a"), counts.pop(f"{parent}b")
            counts[parent] = (a[0] + b[0], a[1] + b[1])
    return counts


def load_demo_robson() -> None:
    """Add the demo trusts' Robson months, unless they have some already."""
    for trust in db.session.scalars(select(Trust).where(Trust.is_demo).order_by(Trust.ods_code)):
        if db.session.scalar(select(RobsonMonth.id).where(RobsonMonth.trust_id == trust.id)):
            continue
        recent = list(
            db.session.scalars(
                select(MonthlyCounts)
                .where(MonthlyCounts.trust_id == trust.id)
                .order_by(MonthlyCounts.month.desc())
                .limit(MONTHS)
            )
        )
        rng = random.Random(f"demo-robson-{trust.ods_code}")
        for figures in reversed(recent):
            month = RobsonMonth(
                trust_id=trust.id, month=figures.month, unclassified=rng.choice((0, 0, 1, 2))
            )
            month.groups = [
                RobsonCount(group=code, position=POSITION[code], women=w, caesareans=c)
                for code, (w, c) in _groups(
                    rng, figures.deliveries, trust.ods_code in WHOLE
                ).items()
            ]
            db.session.add(month)
    db.session.commit()
