from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId
from relaybird.models.base import Base, IdMixin


class Transition(IdMixin, Base):
    """The history of every status change of every lifecycle: who/what, when, from, to, why."""

    __tablename__ = "transitions"
    __table_args__ = (Index("ix_transitions_entity", "entity", "entity_id", "id"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    entity: Mapped[str] = mapped_column(String(16))  # sender|campaign|recipient|contact|room|...
    entity_id: Mapped[int] = mapped_column(BigId)
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    event: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[int | None]
    created_at: Mapped[datetime]
