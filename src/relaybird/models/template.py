from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId, StringEnum
from relaybird.models.base import Base, IdMixin, Json, TimestampMixin

# The lifecycles' states (their tables are templates/transitions.py).


class TemplateStatus(StrEnum):
    APPROVED = "APPROVED"
    PENDING = "PENDING"
    REJECTED = "REJECTED"
    PAUSED = "PAUSED"
    DISABLED = "DISABLED"
    IN_APPEAL = "IN_APPEAL"
    # Negative feedback, at risk of being disabled; Meta still sends it (its status stays
    # APPROVED at Meta, [3p YCloud]): we keep the warning visible as a status of its own.
    FLAGGED = "FLAGGED"
    PENDING_DELETION = "PENDING_DELETION"
    DELETED = "DELETED"
    ARCHIVED = "ARCHIVED"
    # The WABA is at its template cap (event of a creation); not sendable.
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    # Cannot be edited. Meta does not say it stops sending; we do not stop it either.
    LOCKED = "LOCKED"


class TemplateQuality(StrEnum):
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"
    UNKNOWN = "UNKNOWN"


class Template(IdMixin, TimestampMixin, Base):
    """One (name, language) variant of a WhatsApp template in a business account's catalogue,
    as Meta last reported it (sync or webhook). Its parameter slots are read from
    ``components`` on demand (templates/slots.py). A template Meta no longer lists is kept,
    DELETED, so history and campaigns that named it still resolve."""

    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("workspace_id", "waba_id", "name", "language"),
        Index("ix_templates_meta", "waba_id", "meta_id"),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    waba_id: Mapped[str] = mapped_column(String(64))
    meta_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[TemplateStatus] = mapped_column(StringEnum(TemplateStatus, 24))
    category: Mapped[str | None] = mapped_column(String(24))
    sub_category: Mapped[str | None] = mapped_column(String(32))
    quality_score: Mapped[TemplateQuality] = mapped_column(
        StringEnum(TemplateQuality, 16), default=TemplateQuality.UNKNOWN
    )
    parameter_format: Mapped[str] = mapped_column(String(16), default="POSITIONAL")
    components: Mapped[list[Any]] = mapped_column(Json, default=list)
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    # Why the status is what it is, in Meta's words: the pause title and its description ("paused
    # for 6 hours until Aug 31 at 12:47 AM UTC"), a rejection's reason and recommendation, ...
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_info: Mapped[dict[str, Any] | None] = mapped_column(Json)
    status_changed_at: Mapped[datetime | None]
    # A recategorisation Meta announced (24 h notice): the category it will have, and when.
    pending_category: Mapped[str | None] = mapped_column(String(24))
    pending_category_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]


class TemplateSync(Base):
    """When each business account's catalogue was last read, and how that went (the scheduler
    syncs the stalest first; a webhook that edits a template marks its account due)."""

    __tablename__ = "template_syncs"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), primary_key=True)
    waba_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    synced_at: Mapped[datetime | None]
    due: Mapped[bool] = mapped_column(default=False)
    templates: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)


class MediaAsset(IdMixin, Base):
    """A header image/video/document uploaded once to Meta (``POST /{phone-number-id}/media``)
    and reused by its media id in every send of a campaign. Meta keeps uploads for 30 days."""

    __tablename__ = "media_assets"
    __table_args__ = (Index("ix_media_assets_sha", "sender_id", "sha256"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    sender_id: Mapped[int] = mapped_column(BigId, ForeignKey("senders.id", ondelete="CASCADE"))
    media_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # image | video | document | audio | sticker
    mime_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int]
    filename: Mapped[str] = mapped_column(String(240))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    expires_at: Mapped[datetime]
