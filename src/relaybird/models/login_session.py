from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId
from relaybird.models.base import Base, IdMixin


class LoginSession(IdMixin, Base):
    """A dashboard session, server-side: the signed cookie names it by a random token (only its
    SHA-256 is stored), and every request checks the row is still there. Logout deletes it; a
    password change deletes every session of that user."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    actor: Mapped[str] = mapped_column(String(32), index=True)  # user:N | key:N
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
