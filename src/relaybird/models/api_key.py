from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId
from relaybird.models.base import Base, IdMixin


class ApiKey(IdMixin, Base):
    """An API key. Only its SHA-256 is stored; the key itself is shown once at creation."""

    __tablename__ = "api_keys"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the key, to recognise it in listings without revealing it.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
