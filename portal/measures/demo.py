"""Invented monthly figures for the demo's participating trusts: three years each, some
improving, some not.

Made from a fixed seed, so every demo shows the same charts. The trusts are marked as demo
data wherever they appear, and so are their figures.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from portal.extensions import db, utcnow
from portal.measures.models import (
    Measure,
    MeasureChange,
    MeasureSettings,
    MeasureTarget,
    MonthlyCounts,
)
from portal.measures.service import current_month
from portal.regions.models import Trust

MONTHS = 36


@dataclass(frozen=True)
class Profile:
    """How a demo trust's rates move: total CS before and after month `change_at` (None: no
    change), with the share of caesareans that are elective, the normal birth and VBAC rates."""

    deliveries: int
    cs_before: float
    cs_after: float
    change_at: int | None = None
    change_note: str = ""
    elective_share: float = 0.4
    normal_birth: float = 0.42
    vbac: float = 0.33
    target: float | None = None
    public: bool = False  # shows its charts on its public page


PROFILES = {
    "ZD1": Profile(
        420, 0.27, 0.225, 18, "Joined the programme (demo)", vbac=0.38, target=24.0, public=True
    ),
    "ZD2": Profile(310, 0.25, 0.25),
    "ZD4": Profile(510, 0.29, 0.255, 14, "Midwife-led unit opened (demo)", target=26.0),
    "ZD5": Profile(360, 0.24, 0.285, 24, normal_birth=0.38),
    "ZD7": Profile(280, 0.23, 0.23, target=25.0),
    "ZD8": Profile(450, 0.28, 0.245, 20, vbac=0.41),
    "ZD9": Profile(240, 0.26, 0.26, target=26.0),
    "ZE2": Profile(330, 0.27, 0.245, 16, "Joined the programme (demo)", vbac=0.36),
    "ZE3": Profile(260, 0.24, 0.24),
    "ZF1": Profile(540, 0.28, 0.255, 12, "Triage line opened (demo)", target=25.0),
    "ZF2": Profile(300, 0.22, 0.235, normal_birth=0.45),
    "ZF5": Profile(390, 0.26, 0.26, target=24.0),
    "ZF6": Profile(470, 0.30, 0.27, 20, "Joined the programme (demo)"),
    "ZF9": Profile(350, 0.25, 0.25, vbac=0.30),
    "ZG1": Profile(280, 0.25, 0.225, 22, "Birth centre opened (demo)", normal_birth=0.46),
    "ZG4": Profile(310, 0.23, 0.23),
    "ZG6": Profile(620, 0.29, 0.29, target=27.0),
    "ZG7": Profile(400, 0.26, 0.24, 18, "Joined the programme (demo)"),
    "ZH1": Profile(430, 0.27, 0.27, vbac=0.40),
    "ZH2": Profile(290, 0.24, 0.225, 24, "Consultant review of every elective (demo)"),
}


def _count(rng: random.Random, n: int, p: float) -> int:
    """A count of about n × p, spread as a binomial count would be."""
    spread = math.sqrt(max(n * p * (1 - p), 1e-9))
    return max(0, min(n, round(rng.gauss(n * p, spread))))


def _months(last: date, count: int) -> list[date]:
    months = [last]
    while len(months) < count:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return list(reversed(months))


def load_demo_measures() -> None:
    """Add the demo trusts' figures, unless they have some already."""
    last = (current_month() - timedelta(days=1)).replace(day=1)
    months = _months(last, MONTHS)
    for code, profile in PROFILES.items():
        trust = db.session.scalar(select(Trust).where(Trust.ods_code == code, Trust.is_demo))
        if trust is None:
            continue
        if db.session.scalar(select(MonthlyCounts.id).where(MonthlyCounts.trust_id == trust.id)):
            continue
        rng = random.Random(f"demo-measures-{code}")
        for i, month in enumerate(months):
            after = profile.change_at is not None and i >= profile.change_at
            cs_rate = profile.cs_after if after else profile.cs_before
            deliveries = max(1, round(rng.gauss(profile.deliveries, profile.deliveries * 0.05)))
            caesareans = _count(rng, deliveries, cs_rate)
            elective = _count(rng, caesareans, profile.elective_share)
            emergency = caesareans - elective
            vaginal = deliveries - caesareans
            normal = min(_count(rng, deliveries, profile.normal_birth), vaginal)
            previous = _count(rng, deliveries, 0.14)
            vbac = min(_count(rng, previous, profile.vbac + (0.05 if after else 0)), vaginal)
            db.session.add(
                MonthlyCounts(
                    trust_id=trust.id,
                    month=month,
                    deliveries=deliveries,
                    caesareans_elective=elective,
                    caesareans_emergency=emergency,
                    normal_births=normal,
                    previous_caesarean=previous,
                    vbac=vbac,
                )
            )
        if profile.change_at is not None and profile.change_note:
            db.session.add(
                MeasureChange(
                    trust_id=trust.id, month=months[profile.change_at], note=profile.change_note
                )
            )
        db.session.add(
            MeasureSettings(
                trust_id=trust.id,
                published=profile.public,
                published_at=utcnow() if profile.public else None,
            )
        )
        if profile.target is not None:
            db.session.add(
                MeasureTarget(trust_id=trust.id, measure=Measure.TOTAL_CS, target=profile.target)
            )
    db.session.commit()
