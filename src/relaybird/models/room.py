from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId, StringEnum
from relaybird.models.base import Base, IdMixin, Json, TimestampMixin

# The lifecycles' states (their tables are rooms/transitions.py).


class RoomStatus(StrEnum):
    ACTIVE = "ACTIVE"
    LIMITED = "LIMITED"
    DEACTIVATED = "DEACTIVATED"


class MessageStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    FAILED = "FAILED"
    RECEIVED = "RECEIVED"
    # Inbound from a blocked number: kept, not delivered to the room.
    HELD = "HELD"
    # A system notice in the room (e.g. "no WhatsApp account for this contact").
    POSTED = "POSTED"


class Room(IdMixin, TimestampMixin, Base):
    """A conversation: an owner, user members, and contacts of exactly one network."""

    __tablename__ = "rooms"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    network: Mapped[str] = mapped_column(String(20))
    owner_user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    status: Mapped[RoomStatus] = mapped_column(
        StringEnum(RoomStatus, 16), default=RoomStatus.ACTIVE
    )
    # The sender number used for WhatsApp rooms (welcome template, replies).
    sender_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("senders.id"))


class RoomMember(Base):
    __tablename__ = "room_members"

    room_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), primary_key=True)
    added_at: Mapped[datetime]


class RoomContact(Base):
    __tablename__ = "room_contacts"

    room_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime]


class RoomMessage(IdMixin, Base):
    """A message in a room: out to the network, in from it, or a system notice."""

    __tablename__ = "room_messages"
    __table_args__ = (
        Index("ix_room_messages_room", "room_id", "id"),
        Index("ix_room_messages_wamid", "wamid"),
        # One row per provider message id per room: duplicate webhook deliveries insert nothing.
        UniqueConstraint("room_id", "wamid", name="uq_room_messages_room_wamid"),
        Index("ix_room_messages_unsent", "status", "claimed_at"),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    room_id: Mapped[int] = mapped_column(BigId, ForeignKey("rooms.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # OUT | IN | SYSTEM
    # TEXT | TEMPLATE | WELCOME (the welcome template / probe) | CALL
    kind: Mapped[str] = mapped_column(String(16), default="TEXT")
    author_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(StringEnum(MessageStatus, 16))
    # Outbound: set when a sender claims the PENDING message (committed before the provider is
    # called). A claimed message is never sent again: after a crash it is reconciled from
    # webhooks (callback data ``m:<id>``) or marked FAILED "outcome unknown" (at most once).
    claimed_at: Mapped[datetime | None]
    # Send attempts (counted at claim). A transient provider error puts the message back,
    # unclaimed, until ``next_attempt_at`` (bounded attempts with backoff, like a campaign send).
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    template_name: Mapped[str | None] = mapped_column(String(512))
    template_language: Mapped[str | None] = mapped_column(String(16))
    template_params: Mapped[list[str] | None] = mapped_column(Json)
    # The provider's message id: Meta's wamid, or the Direct network's message id.
    wamid: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
