"""A trust's monthly counts of births, the rates made from them, the changes it marks and the
targets it sets.

Only counts are kept, never a row per woman or baby.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model, UTCDateTime, string_enum, utcnow
from portal.measures.spc import Direction

#: The counts a trust gives for a month, in the order of the form and of the CSV file.
COUNT_FIELDS = (
    "deliveries",
    "caesareans_elective",
    "caesareans_emergency",
    "normal_births",
    "previous_caesarean",
    "vbac",
)


@dataclass(frozen=True)
class Fraction:
    """Which counts make a measure: its numerator over its denominator."""

    numerator: tuple[str, ...]
    denominator: str


class Measure(enum.StrEnum):
    """The rates charted for each trust (and quoted in stories), each a percentage with its
    definition shown wherever it is used."""

    TOTAL_CS = "total-cs"
    ELECTIVE_CS = "elective-cs"
    EMERGENCY_CS = "emergency-cs"
    NORMAL_BIRTH = "normal-birth"
    VBAC = "vbac"

    @property
    def label(self) -> str:
        return {
            Measure.TOTAL_CS: "Total caesarean section rate",
            Measure.ELECTIVE_CS: "Elective caesarean section rate",
            Measure.EMERGENCY_CS: "Emergency caesarean section rate",
            Measure.NORMAL_BIRTH: "Normal birth rate",
            Measure.VBAC: "VBAC rate",
        }[self]

    @property
    def definition(self) -> str:
        return {
            Measure.TOTAL_CS: (
                "Elective and emergency caesarean sections as a percentage of all deliveries "
                "whose method is known."
            ),
            Measure.ELECTIVE_CS: (
                "Elective (planned) caesarean sections as a percentage of all deliveries whose "
                "method is known."
            ),
            Measure.EMERGENCY_CS: (
                "Emergency caesarean sections as a percentage of all deliveries whose method is "
                "known."
            ),
            Measure.NORMAL_BIRTH: (
                "Births without induction, instruments, caesarean section, episiotomy, or general, "
                "spinal or epidural anaesthetic before or during delivery, as a percentage of all "
                "births (the Maternity Care Working Party definition)."
            ),
            Measure.VBAC: (
                "Vaginal births as a percentage of births to women who have had a caesarean "
                "section before."
            ),
        }[self]

    @property
    def fraction(self) -> Fraction:
        return {
            Measure.TOTAL_CS: Fraction(
                ("caesareans_elective", "caesareans_emergency"), "deliveries"
            ),
            Measure.ELECTIVE_CS: Fraction(("caesareans_elective",), "deliveries"),
            Measure.EMERGENCY_CS: Fraction(("caesareans_emergency",), "deliveries"),
            Measure.NORMAL_BIRTH: Fraction(("normal_births",), "deliveries"),
            Measure.VBAC: Fraction(("vbac",), "previous_caesarean"),
        }[self]

    @property
    def direction(self) -> Direction:
        lower = (Measure.TOTAL_CS, Measure.ELECTIVE_CS, Measure.EMERGENCY_CS)
        return Direction.LOWER_IS_BETTER if self in lower else Direction.HIGHER_IS_BETTER

    @property
    def better(self) -> str:
        return (
            "Lower is better."
            if self.direction is Direction.LOWER_IS_BETTER
            else "Higher is better."
        )


class MonthlyCounts(Model):
    """One trust's counts for one month, as its staff gave them (and later corrected)."""

    __tablename__ = "monthly_counts"
    __table_args__ = (
        UniqueConstraint("trust_id", "month", name="uq_monthly_counts_month"),
        CheckConstraint(
            " AND ".join(f"{name} >= 0" for name in COUNT_FIELDS), name="counts_not_negative"
        ),
        # No part larger than its whole: caesareans and normal births are deliveries of
        # different methods; a VBAC is a vaginal birth to a woman with a previous caesarean.
        CheckConstraint(
            "caesareans_elective + caesareans_emergency + normal_births <= deliveries",
            name="births_within_deliveries",
        ),
        CheckConstraint("previous_caesarean <= deliveries", name="previous_cs_within_deliveries"),
        CheckConstraint("vbac <= previous_caesarean", name="vbac_within_previous_cs"),
        CheckConstraint(
            "vbac <= deliveries - caesareans_elective - caesareans_emergency",
            name="vbac_within_vaginal_births",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    deliveries: Mapped[int] = mapped_column(Integer)
    caesareans_elective: Mapped[int] = mapped_column(Integer)
    caesareans_emergency: Mapped[int] = mapped_column(Integer)
    normal_births: Mapped[int] = mapped_column(Integer)
    previous_caesarean: Mapped[int] = mapped_column(Integer)
    vbac: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}

    def numerator(self, measure: Measure) -> int:
        return sum(getattr(self, name) for name in measure.fraction.numerator)

    def denominator(self, measure: Measure) -> int:
        return int(getattr(self, measure.fraction.denominator))


class MeasureChange(Model):
    """A month from which a trust's process is expected to differ ("joined the programme",
    "midwife-led unit opened"): its charts' limits are calculated afresh from that month on."""

    __tablename__ = "measure_changes"
    __table_args__ = (UniqueConstraint("trust_id", "month", name="uq_measure_changes_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    month: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeasureTarget(Model):
    """The rate a trust aims for on one measure, in percent."""

    __tablename__ = "measure_targets"
    __table_args__ = (
        UniqueConstraint("trust_id", "measure", name="uq_measure_targets_measure"),
        CheckConstraint("target >= 0 AND target <= 100", name="target_is_a_percentage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    measure: Mapped[Measure] = mapped_column(string_enum(Measure, "measure_target_measure", 20))
    target: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MeasureSettings(Model):
    """Whether a trust shows its charts on its public page, and when its figures last changed.

    Every change to a trust's counts, changes or targets touches `updated_at` here (deletions
    included), so that public pages kept for anonymous visitors are rebuilt from this one table.
    """

    __tablename__ = "measure_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
