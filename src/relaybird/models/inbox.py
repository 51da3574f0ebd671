from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import StringEnum
from relaybird.models.base import Base, IdMixin


class InboxStatus(StrEnum):
    """A stored webhook body: waiting, applied, waiting again after a failure, given up."""

    PENDING = "PENDING"
    APPLIED = "APPLIED"
    RETRY = "RETRY"
    FAILED = "FAILED"


class InboxEvent(IdMixin, Base):
    """A webhook body exactly as received (after its signature was verified), applied later."""

    __tablename__ = "inbox_events"
    __table_args__ = (Index("ix_inbox_events_due", "status", "next_attempt_at"),)

    source: Mapped[str] = mapped_column(String(16))  # whatsapp | direct
    # SHA-256 of the raw body: Meta's retries of the same POST are stored once.
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[InboxStatus] = mapped_column(
        StringEnum(InboxStatus, 16), default=InboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]
