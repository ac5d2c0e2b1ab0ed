"""Framework files for the toolkit's tests (invented wording, written as a spreadsheet would), and
rounds of a trust's self-assessment against them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from portal.assessments.models import (
    AssessmentRound,
    ParticipantRole,
    RoundAnswer,
    ToolkitVersion,
)
from portal.assessments.pathways import Pathway
from portal.assessments.rounds import (
    AnswerValues,
    RoundStart,
    complete_round,
    save_answers,
    start_round,
)
from portal.assessments.service import CSV_HEADER, apply_import, plan_import
from portal.auth.models import User
from tests.factories import make_trust, make_user

LABELS = ("Not yet", "Starting", "Mostly", "Always")


def framework_rows(
    characteristics: Iterable[tuple[str, str, str]] = (
        ("vbac", "VB1", "Invented VBAC characteristic one"),
        ("vbac", "VB2", "Invented VBAC characteristic two"),
        ("first-pregnancy", "FP1", "Invented first pregnancy characteristic"),
    ),
    positions: int = 4,
) -> list[list[str]]:
    """One row per position of each characteristic, positions 1 to `positions`."""
    return [
        [pathway, code, wording, str(n), LABELS[(n - 1) % 4], f"Invented description {code} {n}"]
        for pathway, code, wording in characteristics
        for n in range(1, positions + 1)
    ]


def framework_csv(
    rows: Sequence[Sequence[str]] | None = None, header: Sequence[str] = CSV_HEADER
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(framework_rows() if rows is None else rows)
    return out.getvalue().encode()


# --- Self-assessment rounds ----------------------------------------------------------------------

ROLES = frozenset({ParticipantRole.MIDWIFE, ParticipantRole.OBSTETRICIAN})


def load_framework(rows: Sequence[Sequence[str]] | None = None) -> ToolkitVersion:
    """A framework loaded as the next version (by the command line: no person)."""
    return apply_import(plan_import(framework_csv(rows)), None, "framework.csv")


def staff_of(code: str = "RT1", slug: str = "london") -> User:
    """A new trust and one of its staff."""
    trust = make_trust(f"Trust {code} NHS Trust", code, slug)
    return make_user("trust", f"staff.{code.lower()}@nhs.example", trust=trust)


def begin(
    staff: User,
    pathways: Iterable[Pathway] = (Pathway.VBAC, Pathway.FIRST_PREGNANCY),
    held_on: date | None = None,
) -> AssessmentRound:
    assert staff.trust is not None
    start = RoundStart(held_on or date(2026, 3, 14), ROLES, frozenset(pathways))
    return start_round(staff.trust, start, actor=staff)


def by_code(round_: AssessmentRound) -> dict[str, RoundAnswer]:
    return {a.characteristic.code: a for a in round_.answers}


def answer(
    round_: AssessmentRound, staff: User, positions: dict[str, tuple[int | None, int | None]]
) -> AssessmentRound:
    """Give positions (current, aspired) by characteristic code."""
    answers = by_code(round_)
    values = {
        answers[code].characteristic_id: AnswerValues(now, aim)
        for code, (now, aim) in positions.items()
    }
    return save_answers(round_, values, actor=staff)


def completed(staff: User, positions: dict[str, tuple[int, int]], **given: Any) -> AssessmentRound:
    """A round with every characteristic of `positions` answered, completed."""
    round_ = begin(staff, **given)
    answer(round_, staff, dict(positions))
    return complete_round(round_, actor=staff)
