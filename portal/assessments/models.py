"""The toolkit's framework as versioned data: each version the programme team loads, its
characteristics (by pathway) and each characteristic's spectrum of ordered positions.

A version is never changed once loaded: a later import makes a new version beside it, so that
whatever was recorded against a version's rows (assessments, in time) keeps the wording it was
made against. The ORM refuses to update or delete these rows (below); no service tries to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.assessments.pathways import Pathway
from portal.auth.models import User
from portal.extensions import Model, UTCDateTime, string_enum, utcnow

#: The longest texts a framework may hold (the CSV import says so row by row).
CODE_LENGTH = 20
WORDING_LENGTH = 500
LABEL_LENGTH = 80
DESCRIPTION_LENGTH = 1000
FILENAME_LENGTH = 200
NOTE_LENGTH = 500


class ToolkitVersion(Model):
    """One loaded framework: numbered 1, 2, 3 … in the order loaded."""

    __tablename__ = "toolkit_versions"
    __table_args__ = (
        UniqueConstraint("number", name="uq_toolkit_versions_number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("length(trim(source_filename)) > 0", name="source_named"),
        CheckConstraint("length(fingerprint) = 64", name="fingerprint_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who loaded it: None when it came from the command line or the demo.
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_filename: Mapped[str] = mapped_column(String(FILENAME_LENGTH))
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")
    #: sha256 of the framework's content, to tell an identical file from a new version.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: The invented placeholder framework the demo loads, marked wherever it is shown.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    loaded_by: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ToolkitVersion {self.number}>"


class Characteristic(Model):
    """A characteristic of one pathway in one version, with its place in the pathway."""

    __tablename__ = "toolkit_characteristics"
    __table_args__ = (
        UniqueConstraint("version_id", "pathway", "code", name="uq_toolkit_characteristics_code"),
        UniqueConstraint("version_id", "pathway", "place", name="uq_toolkit_characteristics_place"),
        CheckConstraint(
            "pathway IN (" + ", ".join(f"'{p.value}'" for p in Pathway) + ")",
            name="pathway_known",
        ),
        CheckConstraint("place >= 1", name="place_positive"),
        CheckConstraint("length(trim(code)) > 0 AND length(trim(wording)) > 0", name="texts_given"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("toolkit_versions.id"), index=True)
    pathway: Mapped[Pathway] = mapped_column(string_enum(Pathway, "toolkit_pathway", 20))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    wording: Mapped[str] = mapped_column(String(WORDING_LENGTH))
    #: 1, 2, 3 … within its pathway: the order the file gave.
    place: Mapped[int] = mapped_column(Integer)

    version: Mapped[ToolkitVersion] = relationship()
    positions: Mapped[list[SpectrumPosition]] = relationship(
        back_populates="characteristic", order_by="SpectrumPosition.position"
    )


class SpectrumPosition(Model):
    """One position on a characteristic's spectrum: 1 is the first ("not yet in place"), n the
    last ("consistently achieved")."""

    __tablename__ = "toolkit_positions"
    __table_args__ = (
        UniqueConstraint("characteristic_id", "position", name="uq_toolkit_positions_position"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint(
            "length(trim(label)) > 0 AND length(trim(description)) > 0", name="texts_given"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    characteristic_id: Mapped[int] = mapped_column(
        ForeignKey("toolkit_characteristics.id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(LABEL_LENGTH))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH))

    characteristic: Mapped[Characteristic] = relationship(back_populates="positions")


class FrozenVersion(Exception):
    """Raised on an attempt to change or delete a loaded version's rows."""


def _refuse_change(_mapper: Any, _connection: Any, target: object) -> None:
    raise FrozenVersion(
        f"{type(target).__name__} rows are never changed once loaded: import a new version"
    )


for _model in (ToolkitVersion, Characteristic, SpectrumPosition):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
