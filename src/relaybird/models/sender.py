from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId, StringEnum
from relaybird.models.base import Base, IdMixin, Json, TimestampMixin

# The lifecycle's states (its table is senders/transitions.py).


class SenderStatus(StrEnum):
    PENDING = "PENDING"
    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    FLAGGED = "FLAGGED"
    RESTRICTED = "RESTRICTED"
    BANNED = "BANNED"


class QualityRating(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    UNKNOWN = "UNKNOWN"


class MessagingLimit(StrEnum):
    TIER_50 = "TIER_50"
    TIER_250 = "TIER_250"
    TIER_1K = "TIER_1K"
    TIER_2K = "TIER_2K"
    TIER_10K = "TIER_10K"
    TIER_100K = "TIER_100K"
    TIER_UNLIMITED = "TIER_UNLIMITED"


class Sender(IdMixin, TimestampMixin, Base):
    """A WhatsApp Business phone number we send from (DESIGN.md §2.1)."""

    __tablename__ = "senders"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Meta's id of the number; webhooks name the sender by it (metadata.phone_number_id).
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_phone_number: Mapped[str] = mapped_column(String(32))
    waba_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Secret: never logged, never returned by the API.
    access_token: Mapped[str] = mapped_column(Text)

    status: Mapped[SenderStatus] = mapped_column(
        StringEnum(SenderStatus, 16), default=SenderStatus.PENDING
    )
    # The status to return to when OFFLINE or RESTRICTED ends ("the status it had").
    status_before: Mapped[SenderStatus | None] = mapped_column(StringEnum(SenderStatus, 16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The provider's own status string, kept verbatim (an open set we map onto ours).
    provider_status: Mapped[str | None] = mapped_column(String(64))
    quality_rating: Mapped[QualityRating] = mapped_column(
        StringEnum(QualityRating, 16), default=QualityRating.UNKNOWN
    )
    messaging_limit: Mapped[MessagingLimit] = mapped_column(
        StringEnum(MessagingLimit, 16), default=MessagingLimit.TIER_1K
    )
    limit_model: Mapped[str] = mapped_column(String(20), default="PER_NUMBER")
    throughput_mps: Mapped[int] = mapped_column(default=80)
    # An operator's lower cap on messages per second; None: the provider's throughput.
    throughput_cap: Mapped[int | None]
    flagged_at: Mapped[datetime | None]
    # While FLAGGED: since when quality has been HIGH/MEDIUM again (the 7-day hold).
    quality_ok_since: Mapped[datetime | None]
    # Why RESTRICTED: LIMIT (our window accounting) or PROVIDER (Meta restricted it).
    restricted_by: Mapped[str | None] = mapped_column(String(16))
    restricted_until: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    provider_fields: Mapped[dict[str, Any] | None] = mapped_column(Json)

    # Which worker drives this sender's dispatcher (scale-out: exactly one at a time).
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]


class SenderContact(Base):
    """Unique recipients a sender reached with business-initiated messages, for the moving 24 h
    messaging-limit window (one row per sender and phone, refreshed on each counted send), and
    the customer-service window each phone opened by writing to the sender. Accounting lives in
    ``senders/window.py``."""

    __tablename__ = "sender_contacts"
    __table_args__ = (Index("ix_sender_contacts_window", "sender_id", "last_counted_at"),)

    sender_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("senders.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    # None: never counted (the row exists for its customer-service window only).
    last_counted_at: Mapped[datetime | None]
    # The customer-service window this phone opened by writing to the sender, if any.
    window_expires_at: Mapped[datetime | None]
