"""A trust's Robson counts: for each month, the women in each group and the caesareans among
them. Counts only, never a row per woman (a file of births is read into counts and dropped)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, UTCDateTime, utcnow
from portal.robson.groups import GROUP_CODES, GroupCounts


class RobsonMonth(Model):
    """One trust's month: its groups' counts, and the women a file of births held who could not
    be classified (kept as a number, a measure of the data's quality)."""

    __tablename__ = "robson_months"
    __table_args__ = (
        UniqueConstraint("trust_id", "month", name="uq_robson_months_month"),
        CheckConstraint("unclassified >= 0", name="unclassified_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    unclassified: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    groups: Mapped[list[RobsonCount]] = relationship(
        back_populates="robson_month",
        cascade="all, delete-orphan",
        order_by="RobsonCount.position",
    )

    def counts(self) -> dict[str, GroupCounts]:
        return {row.group: GroupCounts(row.women, row.caesareans) for row in self.groups}


class RobsonCount(Model):
    """The women in one group in one trust's month, and the caesareans among them."""

    __tablename__ = "robson_counts"
    __table_args__ = (
        UniqueConstraint("robson_month_id", "group", name="uq_robson_counts_group"),
        CheckConstraint("women >= 0 AND caesareans >= 0", name="robson_counts_not_negative"),
        CheckConstraint("caesareans <= women", name="caesareans_within_women"),
        CheckConstraint(
            '"group" IN (' + ", ".join(f"'{code}'" for code in GROUP_CODES) + ")",
            name="robson_group_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robson_month_id: Mapped[int] = mapped_column(
        ForeignKey("robson_months.id", ondelete="CASCADE"), index=True
    )
    group: Mapped[str] = mapped_column(String(3))
    #: The group's place in a report (1, 2, 2a, 2b, 3 …), so rows read back in order.
    position: Mapped[int] = mapped_column(Integer)
    women: Mapped[int] = mapped_column(Integer)
    caesareans: Mapped[int] = mapped_column(Integer)

    robson_month: Mapped[RobsonMonth] = relationship(back_populates="groups")
