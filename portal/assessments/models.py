"""The toolkit's framework as versioned data: each version the programme team loads, its
characteristics (by pathway) and each characteristic's spectrum of ordered positions; and the
trusts' self-assessment rounds against it, their answers and their action plans.

A version is never changed once loaded: a later import makes a new version beside it, so that
whatever was recorded against a version's rows (assessments, in time) keeps the wording it was
made against. The ORM refuses to update or delete these rows (below); no service tries to.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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
from portal.regions.models import Trust

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


# --- Self-assessment rounds ----------------------------------------------------------------------

#: The longest texts a round holds.
EVIDENCE_LENGTH = 1000
ACTION_LENGTH = 500


class ParticipantRole(enum.StrEnum):
    """Who took part in a round, by role (never by name): as in a multidisciplinary workshop."""

    OBSTETRICIAN = "obstetrician"
    MIDWIFE = "midwife"
    CONSULTANT_MIDWIFE = "consultant-midwife"
    ANAESTHETIST = "anaesthetist"
    NEONATOLOGIST = "neonatologist"
    SERVICE_USER = "service-user"
    MANAGER = "manager"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            ParticipantRole.OBSTETRICIAN: "Obstetrician",
            ParticipantRole.MIDWIFE: "Midwife",
            ParticipantRole.CONSULTANT_MIDWIFE: "Consultant midwife",
            ParticipantRole.ANAESTHETIST: "Anaesthetist",
            ParticipantRole.NEONATOLOGIST: "Neonatologist",
            ParticipantRole.SERVICE_USER: "Service user representative",
            ParticipantRole.MANAGER: "Manager",
            ParticipantRole.OTHER: "Other",
        }[self]


class ActionStatus(enum.StrEnum):
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return {
            ActionStatus.NOT_STARTED: "Not started",
            ActionStatus.IN_PROGRESS: "In progress",
            ActionStatus.DONE: "Done",
            ActionStatus.DROPPED: "Dropped",
        }[self]

    @property
    def is_open(self) -> bool:
        return self in (ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS)


def _codes(values: str) -> list[str]:
    return [v for v in values.split(",") if v]


class AssessmentRound(Model):
    """One self-assessment of a trust, made against the version current when it started (so its
    wording never changes): who took part (roles), which pathways, and when."""

    __tablename__ = "assessment_rounds"
    __table_args__ = (
        CheckConstraint("length(participants) > 0", name="participants_given"),
        CheckConstraint("length(pathways) > 0", name="pathways_given"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("toolkit_versions.id"))
    #: The day the team met (a local date).
    held_on: Mapped[date] = mapped_column(Date)
    #: ParticipantRole values, comma-separated, in the enum's order.
    participants: Mapped[str] = mapped_column(String(200))
    #: Pathway slugs, comma-separated, in the toolkit's order.
    pathways: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the trust shared the round with its region's coordinator and the programme team.
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    trust: Mapped[Trust] = relationship()
    version: Mapped[ToolkitVersion] = relationship()
    answers: Mapped[list[RoundAnswer]] = relationship(back_populates="round")

    @property
    def participant_roles(self) -> list[ParticipantRole]:
        return [ParticipantRole(code) for code in _codes(self.participants)]

    @property
    def chosen_pathways(self) -> list[Pathway]:
        return [Pathway(slug) for slug in _codes(self.pathways)]

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class RoundAnswer(Model):
    """A round's answer for one characteristic of its version: the current and the aspired
    position (each empty until given), a note of the evidence, and whether it is a priority."""

    __tablename__ = "assessment_answers"
    __table_args__ = (
        UniqueConstraint("round_id", "characteristic_id", name="uq_assessment_answers_once"),
        CheckConstraint(
            "current_position IS NULL OR current_position >= 1", name="current_positive"
        ),
        CheckConstraint(
            "aspired_position IS NULL OR aspired_position >= 1", name="aspired_positive"
        ),
        CheckConstraint(f"length(evidence) <= {EVIDENCE_LENGTH}", name="evidence_length"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_rounds.id"), index=True)
    characteristic_id: Mapped[int] = mapped_column(ForeignKey("toolkit_characteristics.id"))
    current_position: Mapped[int | None] = mapped_column(Integer)
    aspired_position: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(String(EVIDENCE_LENGTH), default="")
    priority: Mapped[bool] = mapped_column(Boolean, default=False)

    round: Mapped[AssessmentRound] = relationship(back_populates="answers")
    characteristic: Mapped[Characteristic] = relationship()

    @property
    def is_answered(self) -> bool:
        return self.current_position is not None and self.aspired_position is not None

    @property
    def gap(self) -> int | None:
        """How far the team aspire to move: aspired minus current (0: stay; below 0: a step
        back they accept)."""
        if self.current_position is None or self.aspired_position is None:
            return None
        return self.aspired_position - self.current_position


class RoundAction(Model):
    """An action of a trust's plan, for a characteristic named by pathway and code so that it
    carries over to rounds made against later versions."""

    __tablename__ = "assessment_actions"
    __table_args__ = (
        CheckConstraint(
            "length(trim(what)) > 0 AND length(what) <= " + str(ACTION_LENGTH), name="what_given"
        ),
        CheckConstraint(
            "pathway IN (" + ", ".join(f"'{p.value}'" for p in Pathway) + ")",
            name="pathway_known",
        ),
        CheckConstraint(
            "owner_role IN (" + ", ".join(f"'{r.value}'" for r in ParticipantRole) + ")",
            name="owner_role_known",
        ),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in ActionStatus) + ")",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    pathway: Mapped[Pathway] = mapped_column(string_enum(Pathway, "assessment_action_pathway", 20))
    characteristic_code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    what: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    owner_role: Mapped[ParticipantRole] = mapped_column(
        string_enum(ParticipantRole, "assessment_owner_role", 30)
    )
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(
        string_enum(ActionStatus, "assessment_action_status", 20), default=ActionStatus.NOT_STARTED
    )
    created_in_round_id: Mapped[int] = mapped_column(ForeignKey("assessment_rounds.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_in_round: Mapped[AssessmentRound] = relationship()


class EventFocus(Model):
    """A characteristic a network event focuses on, chosen by the region's coordinator (named by
    pathway and code, as actions are, so that it holds across versions of the framework)."""

    __tablename__ = "event_focus_characteristics"
    __table_args__ = (
        CheckConstraint(
            "pathway IN (" + ", ".join(f"'{p.value}'" for p in Pathway) + ")",
            name="pathway_known",
        ),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("network_events.id", ondelete="CASCADE"), primary_key=True
    )
    pathway: Mapped[Pathway] = mapped_column(
        string_enum(Pathway, "event_focus_pathway", 20), primary_key=True
    )
    characteristic_code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
