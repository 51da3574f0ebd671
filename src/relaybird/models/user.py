from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId
from relaybird.models.base import Base, IdMixin, TimestampMixin


class User(IdMixin, TimestampMixin, Base):
    """A person of the workspace: an agent (advisor) who owns contacts and rooms, or an admin."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    # argon2 hash, for the dashboard login; None: the user cannot log in with a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # The user's own phone (E.164), where calls to their SMS & Voice Direct virtual number are
    # forwarded when ``forward_calls`` is on; personal data: masked in logs, never in events.
    forward_phone: Mapped[str | None] = mapped_column(String(20))
    forward_calls: Mapped[bool] = mapped_column(default=False)


class VirtualNumber(IdMixin, Base):
    """A user's second (virtual) number on a Direct network (SMS_DIRECT, WHATSAPP_DIRECT)."""

    __tablename__ = "virtual_numbers"
    __table_args__ = (UniqueConstraint("network", "phone"), UniqueConstraint("user_id", "network"))

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class BlockedNumber(IdMixin, Base):
    """A number on one user's block list (Symphony: phoneNumberBlockedBy)."""

    __tablename__ = "blocked_numbers"
    __table_args__ = (UniqueConstraint("user_id", "phone"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(20))  # SPAM | ABUSE | COMPLIANCE | OTHER
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
