from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId, StringEnum
from relaybird.models.base import Base, IdMixin, Json, TimestampMixin

# The lifecycles' states (their tables are campaigns/transitions.py).


class CampaignState(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    ENDED = "ENDED"


class RecipientState(StrEnum):
    INITIAL = "INITIAL"
    IN_PROGRESS = "IN_PROGRESS"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    SENDING_FAILED = "SENDING_FAILED"
    ERROR = "ERROR"
    REMOVED = "REMOVED"
    CANCELED_BY_ADMIN = "CANCELED_BY_ADMIN"
    INVALID_RECORD = "INVALID_RECORD"
    # Legacy (seed 001): accepted when importing historical data, never produced by the engine.
    SUCCESSFULLY_SUBMITTED = "SUCCESSFULLY_SUBMITTED"


class ImportState(StrEnum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class Campaign(IdMixin, TimestampMixin, Base):
    """A WhatsApp template campaign (DESIGN.md §2.2)."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_state_start", "state", "start_at"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    sender_id: Mapped[int] = mapped_column(BigId, ForeignKey("senders.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    template_name: Mapped[str] = mapped_column(String(512))
    template_language: Mapped[str] = mapped_column(String(16))
    # The upload columns the import reads, in the order of each recipient's ``params``: the
    # template's body parameters {{1}}, {{2}}, ... in order, or (a campaign with a slot mapping)
    # the mapping's columns, sorted.
    body_params: Mapped[list[str]] = mapped_column(Json, default=list)
    # The catalogue entry (issue 14) and how each of its slots is filled (templates/mapping.py
    # ``SlotMapping``, stored without its unset fields). None: a free-text / body-only campaign.
    template_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("templates.id"))
    template_mapping: Mapped[dict[str, Any] | None] = mapped_column(Json)
    state: Mapped[CampaignState] = mapped_column(
        StringEnum(CampaignState, 16), default=CampaignState.NOT_STARTED
    )
    start_at: Mapped[datetime | None]
    # Why the campaign is paused or waiting (set by the engine or the admin), shown to users.
    pause_reason: Mapped[str | None] = mapped_column(Text)
    paused_by: Mapped[str | None] = mapped_column(String(16))  # "admin" | "engine"
    quality_guard: Mapped[bool] = mapped_column(default=False)
    # The quality guard also acts on a template turning YELLOW (RED always does).
    quality_guard_yellow: Mapped[bool] = mapped_column(default=False)
    # Resumes by itself when Meta makes the template that auto-paused it sendable again.
    auto_resume: Mapped[bool] = mapped_column(default=False)
    # The template whose stop (status or quality) auto-paused it; cleared by any resume.
    paused_template_id: Mapped[int | None] = mapped_column(BigId)
    total: Mapped[int] = mapped_column(default=0)
    reply_count: Mapped[int] = mapped_column(default=0)
    # A follow-up made by retrying this campaign's failed recipients (its ledger is untouched).
    parent_campaign_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    # When recipients may be sent to, in each one's own time zone (campaigns/windows.py
    # ``Window``: start, end, days, time_zone, overnight); None: any time.
    send_window: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # The zones (kit/zones.py ids) its recipients were imported in, sorted: the few a claim
    # checks against the window (0: the window's own zone).
    zone_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CampaignCount(Base):
    """Per-state recipient counters, moved in the same transaction as each recipient, so that a
    summary at a million recipients reads a dozen rows instead of counting."""

    __tablename__ = "campaign_counts"

    campaign_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[RecipientState] = mapped_column(StringEnum(RecipientState, 24), primary_key=True)
    # The writing thread's stripe (campaigns.recipients.stripe): concurrent writers (the
    # applier, each worker) add to rows of their own instead of queueing on one row's lock until
    # the other commits; a state's count is the sum over its stripes.
    stripe: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)
    count: Mapped[int] = mapped_column(default=0)


class CampaignActivity(Base):
    """Per quarter-hour (UTC) of a campaign: how many of its recipients were sent (Meta accepted
    them), delivered and read in it. Moved in the same transaction as each recipient (like
    campaign_counts), so the per-hour series at a million recipients reads a few hundred rows.
    Quarter hours, not hours: every time zone's offset is a multiple of 15 minutes, so the
    series folds exactly into the hours of any zone (India, Nepal, Chatham...)."""

    __tablename__ = "campaign_activity"

    campaign_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    stripe: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)  # as counts'
    sent: Mapped[int] = mapped_column(default=0)
    delivered: Mapped[int] = mapped_column(default=0)
    read: Mapped[int] = mapped_column(default=0)


# The failed states (campaigns/transitions.FAILED_STATES; a test keeps the two equal), as the
# partial index ix_recipients_failed and the analytics query over it say them. ORed equalities,
# not ``state IN (...)``: SQLite evaluates a partial index's predicate for every row written (an
# INSERT, and an UPDATE of state: old row and new), and builds an IN list's lookup table afresh
# each time — 4.4 s of a million-row import's 15 s of inserts. Parenthesised, since the query
# ANDs it with other terms as literal text.
FAILED_WHERE = (
    "(state = 'SENDING_FAILED' OR state = 'DELIVERY_FAILED' OR state = 'ERROR'"
    " OR state = 'INVALID_RECORD')"
)


class Recipient(IdMixin, Base):
    """One row of an uploaded list: its own state, attempts and provider message id."""

    __tablename__ = "recipients"
    __table_args__ = (
        # The dispatcher's claim: due recipients of a campaign by state, zone (a send window
        # claims the zones open now: zone_id IN (...)) and time. One index for both kinds of
        # campaign, so a recipient's every move maintains no more indexes than before windows.
        Index("ix_recipients_claim", "campaign_id", "state", "zone_id", "next_attempt_at"),
        # The duplicate check of an import, and the recipients list by phone prefix (keyset
        # on phone, id).
        Index("ix_recipients_campaign_phone", "campaign_id", "phone"),
        # The recipients list of one state, keyset on id (GET .../recipients?state=).
        Index("ix_recipients_list", "campaign_id", "state", "id"),
        # Partial: only the rows that have one, so an imported row (no wamid, no lease yet)
        # costs no entry in either. Every query on them compares the column (= / IN / <), which
        # implies IS NOT NULL, so both databases use them.
        Index(
            "ix_recipients_wamid",
            "wamid",
            sqlite_where=text("wamid IS NOT NULL"),
            postgresql_where=text("wamid IS NOT NULL"),
        ),
        Index(
            "ix_recipients_lease",
            "state",
            "lease_expires_at",
            sqlite_where=text("lease_expires_at IS NOT NULL"),
            postgresql_where=text("lease_expires_at IS NOT NULL"),
        ),
        # The analytics' failures by error code: only the failed rows (FAILED_STATES), and
        # covering, so a million-row campaign's GROUP BY reads a small index, not the table.
        Index(
            "ix_recipients_failed",
            "campaign_id",
            "state",
            "error_code",
            sqlite_where=text(FAILED_WHERE),
            postgresql_where=text(FAILED_WHERE),
        ),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id", ondelete="CASCADE"))
    row_number: Mapped[int]
    # E.164; None for an INVALID_RECORD whose phone could not be read.
    phone: Mapped[str | None] = mapped_column(String(20))
    raw_phone: Mapped[str | None] = mapped_column(String(64))
    # Its time zone (kit/zones.py: 0 = the campaign window's zone), resolved once at import.
    zone_id: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    params: Mapped[list[str]] = mapped_column(Json, default=list)
    state: Mapped[RecipientState] = mapped_column(StringEnum(RecipientState, 24))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    # When the dispatcher let this claim's send start (marked in small groups just before the
    # calls go out); None: claimed but never started, so crash recovery puts it back untouched.
    send_started_at: Mapped[datetime | None]
    wamid: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(Text)
    invalid_reason: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    # When it first reached sent-or-later (Meta accepted it), delivered-or-later, and READ
    # (campaigns/activity.py sets them with every move; the per-quarter-hour counters of
    # campaign_activity count exactly these).
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    # What Meta bills for it, by the rate card, from its status webhooks' ``pricing``: millionths
    # of the card's currency (0: free, e.g. free_entry_point), and Meta's pricing category.
    cost_micros: Mapped[int | None] = mapped_column(BigInteger)
    cost_category: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RecipientImport(IdMixin, Base):
    """One upload being imported: progress for the caller to poll, the summary when done."""

    __tablename__ = "recipient_imports"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    campaign_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    state: Mapped[ImportState] = mapped_column(
        StringEnum(ImportState, 16), default=ImportState.RUNNING
    )
    rows: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    bytes_total: Mapped[int] = mapped_column(default=0)
    bytes_read: Mapped[int] = mapped_column(default=0)
    # The first row errors [{row, reason}], capped.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    failure: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    # Written with every stored chunk: a RUNNING import whose heartbeat stopped was interrupted
    # (its process died) and the scheduler marks it FAILED.
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CampaignReply(IdMixin, Base):
    """An inbound message linked to the campaign recipient it answers (campaigns/replies.py):
    every one is kept, with its type and text, and a quick-reply button's payload."""

    __tablename__ = "campaign_replies"
    __table_args__ = (
        Index("ix_campaign_replies_campaign", "campaign_id", "id"),
        Index("ix_campaign_replies_recipient", "recipient_id"),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("recipients.id", ondelete="CASCADE")
    )
    # Meta's id of the inbound message: one row per message, replays insert nothing.
    wamid: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(24))  # text, button, interactive, image, ...
    text: Mapped[str | None] = mapped_column(Text)
    # A quick-reply button's payload (type button) or an interactive reply's id.
    button: Mapped[str | None] = mapped_column(String(256))
    received_at: Mapped[datetime]
