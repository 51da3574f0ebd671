from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId, StringEnum
from relaybird.models.base import Base, IdMixin, Json, TimestampMixin

INVITATION_EMAIL_UNIQUE = "network IN ('WECHAT', 'LINE')"
# On the Direct networks a contact is an entry of one user's contact list (seed 000: INCOMPLETE
# is "not in a Symphony user's contact list"): unique per owner there, per workspace elsewhere.
DIRECT = "network IN ('SMS_DIRECT', 'WHATSAPP_DIRECT')"
NOT_DIRECT = "network NOT IN ('SMS_DIRECT', 'WHATSAPP_DIRECT')"
INVITATION_UNSETTLED = (
    "sent_at IS NULL AND undeliverable_at IS NULL AND accepted_at IS NULL "
    "AND superseded_at IS NULL AND expired_at IS NULL"
)


class ContactStatus(StrEnum):
    PENDING_CONFIRMATION = "PENDING_CONFIRMATION"
    CONFIRMED = "CONFIRMED"
    INVITE_EXPIRED = "INVITE_EXPIRED"
    UNAVAILABLE = "UNAVAILABLE"
    INCOMPLETE = "INCOMPLETE"
    BLOCKED = "BLOCKED"


class EmailStatus(StrEnum):
    """An outgoing e-mail (invitations, notifications)."""

    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class Contact(IdMixin, TimestampMixin, Base):
    """An external contact on one network (DESIGN.md §2.3). ``status`` None is "no status".

    On WhatsApp, WeChat and LINE a contact is the workspace's (one per phone and network),
    owned by one user. On the Direct networks, where people write to a user's own virtual
    number, it is an entry of its owner's contact list: the same phone may be a contact of
    several users, each with its own status (INCOMPLETE for one, CONFIRMED for another)."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_ws_network_status", "workspace_id", "network", "status"),
        # Duplicates are refused per workspace and network (NULL phones never collide)...
        Index(
            "uq_contacts_ws_network_phone",
            "workspace_id",
            "network",
            "phone",
            unique=True,
            sqlite_where=text(NOT_DIRECT),
            postgresql_where=text(NOT_DIRECT),
        ),
        # ... and on the Direct networks per user: Ana and Bea may each have the number.
        Index(
            "uq_contacts_owner_network_phone",
            "owner_user_id",
            "network",
            "phone",
            unique=True,
            sqlite_where=text(DIRECT),
            postgresql_where=text(DIRECT),
        ),
        Index("ix_contacts_ws_network_email", "workspace_id", "network", "email"),
        # On WeChat and LINE the e-mail is where the invitation goes: one contact per address.
        Index(
            "uq_contacts_ws_invitation_email",
            "workspace_id",
            "network",
            "email",
            unique=True,
            sqlite_where=text(INVITATION_EMAIL_UNIQUE),
            postgresql_where=text(INVITATION_EMAIL_UNIQUE),
        ),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    network: Mapped[str] = mapped_column(String(20))
    owner_user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[ContactStatus | None] = mapped_column(StringEnum(ContactStatus, 24))
    # End of the customer-service window opened by the contact's last inbound message
    # (WhatsApp: 24 h; WeChat: 48 h, also opened by a follow or QR scan).
    window_expires_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    # The person's address on LINE (user id) or WeChat (OpenID, per Official Account), learnt
    # when their invitation is validated through the network; messages go there.
    network_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # They unfollowed / blocked the Official Account (LINE, WeChat) or opted out with STOP
    # (SMS-Direct): nothing is sent to them; None again when they follow again / text START.
    unfollowed_at: Mapped[datetime | None]
    # Audiences (issue 15): free tags (lower case) and attributes (name → text) for segments.
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    attributes: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    # SMS-Direct to a US number (TCPA, rooms/consent.py): when we asked for the opt-in, and when
    # they gave it (a YES/START reply, or they texted first); nothing else is sent before.
    sms_opt_in_requested_at: Mapped[datetime | None]
    sms_opt_in_at: Mapped[datetime | None]


class Invitation(IdMixin, Base):
    """An onboarding invitation e-mailed to a contact; its code is the secret in the link.

    Its clock starts when its e-mail is sent (``sent_at``), not when it is queued: the contact
    is PENDING_CONFIRMATION from then, and ``expires_at`` is ``sent_at`` + the delay. An e-mail
    refused for good (or given up) sets ``undeliverable_at`` instead."""

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_expires_at", "expires_at"),
        # The invitations whose e-mail's fate is not applied yet (contacts.invitation_delivery).
        Index(
            "ix_invitations_unsettled",
            "email_id",
            sqlite_where=text(INVITATION_UNSETTLED),
            postgresql_where=text(INVITATION_UNSETTLED),
        ),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    contact_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the code: a database leak does not reveal working links.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # LINE account linking: SHA-256 of the nonce issued for this invitation (single use); the
    # accountLink event that carries the nonce validates it.
    link_nonce_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The e-mail carrying the code (its status is the invitation's delivery).
    email_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("outgoing_emails.id"))
    sent_at: Mapped[datetime | None]
    undeliverable_at: Mapped[datetime | None]
    # None until the e-mail is sent.
    expires_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class OutgoingEmail(IdMixin, Base):
    """The e-mail outbox: invitations and notifications, sent over SMTP when configured and
    always viewable in the API and dashboard (the embedded default needs no mail server)."""

    __tablename__ = "outgoing_emails"
    __table_args__ = (Index("ix_outgoing_emails_due", "status", "next_attempt_at"),)

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    # What the API and the dashboard show. When the message carries a secret (an invitation's
    # code) it is redacted here, and ``secret_body`` holds the text handed to SMTP until the
    # e-mail is SENT, FAILED or CANCELED, when it is erased.
    body: Mapped[str] = mapped_column(Text)
    secret_body: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))  # invitation | notification
    # Unique per logical message, so a notification is never queued twice for the same change.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[EmailStatus] = mapped_column(
        StringEnum(EmailStatus, 16), default=EmailStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
