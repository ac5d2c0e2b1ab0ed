"""The outbox: one row per e-mail, written in the same transaction as the change that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model, UTCDateTime, utcnow


class MailStatus(enum.StrEnum):
    """pending: waiting for its (next) attempt, or being sent while `claimed_until` lies ahead;
    sent: handed to the mail server; failed: given up on, shown to the programme team."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # What every worker asks: which pending messages are due?
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_related", "related_type", "related_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    calendar: Mapped[bytes | None] = mapped_column(LargeBinary)
    calendar_method: Mapped[str | None] = mapped_column(String(10))
    related_type: Mapped[str | None] = mapped_column(String(40))
    related_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[MailStatus] = mapped_column(
        Enum(
            MailStatus,
            name="mail_status",
            native_enum=False,
            length=20,
            values_callable=lambda states: [s.value for s in states],
        ),
        default=MailStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker's lease on the message while it sends it: another worker takes it over only once
    # the lease has run out (the first worker crashed). The token tells the worker's own claim
    # from a later one, so that a worker that lost its lease records nothing.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"

    @property
    def is_failed(self) -> bool:
        return self.status is MailStatus.FAILED

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None
