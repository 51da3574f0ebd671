from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.models.base import Base, IdMixin


class WebhookRefusal(IdMixin, Base):
    """Webhooks refused at a door (no secret set, missing or wrong signature, too large), counted
    per door, reason and hour: bounded however many are refused, and readable by every process
    (`relaybird status`, the dashboard, /metrics)."""

    __tablename__ = "webhook_refusals"
    __table_args__ = (UniqueConstraint("door", "reason", "hour"),)

    door: Mapped[str] = mapped_column(String(32))  # whatsapp | direct | ...
    reason: Mapped[str] = mapped_column(String(200))
    hour: Mapped[datetime]  # the hour the refusals fell in (UTC, truncated)
    count: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime]
