"""Strategic Health Authority regions and the NHS trusts in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, UTCDateTime, utcnow


class Region(Model):
    """One of the ten SHAs of England (reference data: see `portal.regions.reference`)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    short_name: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    trusts: Mapped[list[Trust]] = relationship(
        back_populates="region", order_by="Trust.name", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Region {self.slug}>"

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_name or self.contact_email or self.contact_phone)


class Trust(Model):
    """An NHS trust that may send people to its region's events and share stories."""

    __tablename__ = "trusts"
    __table_args__ = (CheckConstraint("ods_code = upper(ods_code)", name="ods_code_upper"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    ods_code: Mapped[str] = mapped_column(String(10), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    participating: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship(back_populates="trusts", lazy="joined")

    def __repr__(self) -> str:
        return f"<Trust {self.ods_code}>"
