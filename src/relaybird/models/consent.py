"""Consent: who asked not to be messaged (per workspace), how the workspace reads opt-out
keywords, and the confirmations owed to people who texted one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId, StringEnum
from relaybird.models.base import Base, IdMixin, Json


class ReplyStatus(StrEnum):
    """A consent confirmation: owed, sent, or given up (sent at most once)."""

    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"


class Suppression(IdMixin, Base):
    """A number the workspace must not send (marketing) templates to. One row per number: the
    first reason wins; lifting deletes the row (the history is in the outbox events)."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("workspace_id", "phone"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    # keyword | user_preferences | error_131050 | manual | bounced (consent.schemas.Source)
    source: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    # The business number it came through (keyword, webhook), when there is one.
    sender_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("senders.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ConsentSettings(Base):
    """A workspace's own consent rules; a workspace without a row uses the defaults
    (consent.keywords and the RELAYBIRD_CONSENT_* settings)."""

    __tablename__ = "consent_settings"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), primary_key=True)
    opt_out_keywords: Mapped[list[str]] = mapped_column(Json, default=list)
    opt_in_keywords: Mapped[list[str]] = mapped_column(Json, default=list)
    confirm: Mapped[bool] = mapped_column(default=True)
    opt_out_reply: Mapped[str] = mapped_column(Text)
    opt_in_reply: Mapped[str] = mapped_column(Text)
    # Template categories sent even to suppressed numbers (UTILITY, AUTHENTICATION); empty: none.
    exempt_categories: Mapped[list[str]] = mapped_column(Json, default=list)
    updated_at: Mapped[datetime]


class ConsentReply(IdMixin, Base):
    """A confirmation owed to someone who texted an opt-out/opt-in keyword: a free-form text
    inside the 24 h window their message opened, sent by the ``consent.replies`` loop (claimed
    once, never sent twice)."""

    __tablename__ = "consent_replies"
    __table_args__ = (Index("ix_consent_replies_due", "status", "claimed_at"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    sender_id: Mapped[int] = mapped_column(BigId, ForeignKey("senders.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # The inbound message it answers (one confirmation per message, replays add none).
    inbound_wamid: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[ReplyStatus] = mapped_column(
        StringEnum(ReplyStatus, 16), default=ReplyStatus.QUEUED
    )
    claimed_at: Mapped[datetime | None]
    wamid: Mapped[str | None] = mapped_column(String(128))
    error_title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
