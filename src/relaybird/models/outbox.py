from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId, StringEnum
from relaybird.models.base import Base, IdMixin, Json


class DeliveryStatus(StrEnum):
    """An event's delivery to one subscription."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class OutboxEvent(IdMixin, Base):
    """The transactional outbox: one row per event, written in the transaction of the change.
    Its id orders events; deliverers keep their own cursors and attempt rows."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_ws", "workspace_id", "id"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    type: Mapped[str] = mapped_column(String(64))  # e.g. recipient.state_changed
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigId)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime]


class EventSubscription(IdMixin, Base):
    """A workspace's endpoint for outgoing events (Standard Webhooks signatures)."""

    __tablename__ = "event_subscriptions"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str] | None] = mapped_column(Json)
    active: Mapped[bool] = mapped_column(default=True)
    # The last outbox id this subscription has been fanned out to.
    cursor: Mapped[int] = mapped_column(BigId, default=0)
    created_at: Mapped[datetime]


class EventDelivery(IdMixin, Base):
    """One event to one subscription: attempts, backoff, outcome (the delivery log)."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        Index("ix_event_deliveries_due", "status", "next_attempt_at"),
        Index("ix_event_deliveries_sub", "subscription_id", "id"),
    )

    subscription_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("event_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("outbox_events.id"))
    status: Mapped[DeliveryStatus] = mapped_column(
        StringEnum(DeliveryStatus, 16), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
