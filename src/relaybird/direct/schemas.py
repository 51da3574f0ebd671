"""Bodies of the Direct webhook (``POST /webhooks/direct``), the block lists and the onboarding of
an auto-onboarded contact."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from relaybird.contacts.schemas import ContactOut


class DirectInbound(BaseModel):
    """What a Direct carrier posts to ``/webhooks/direct``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    network: Literal["SMS_DIRECT", "WHATSAPP_DIRECT"]
    from_: str = Field(alias="from", min_length=3, max_length=32, description="E.164 caller")
    to: str = Field(min_length=3, max_length=32, description="The user's virtual number, E.164")
    kind: Literal["message", "call"] = "message"
    text: str | None = Field(default=None, max_length=4096)
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The carrier's message id; deliveries with the same id are one message. "
        "Without it, a byte-identical body is taken for a duplicate.",
    )
    timestamp: datetime | None = Field(default=None, description="RFC 3339; default: now")


class DirectOutcome(BaseModel):
    contact_id: int
    contact_status: str | None
    room_id: int
    message_id: int
    message_status: str
    duplicate: bool = Field(description="True when this delivery repeated an earlier one")


class BlockReason(StrEnum):
    SPAM = "SPAM"
    ABUSE = "ABUSE"
    COMPLIANCE = "COMPLIANCE"
    OTHER = "OTHER"


class BlockCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(max_length=100, description="E.164 (national numbers: default region)")
    reason: BlockReason
    comment: str | None = Field(default=None, max_length=2000)


class BlockedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    phone: str
    reason: BlockReason
    comment: str | None
    created_at: datetime


class OnboardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)


class MovedOut(BaseModel):
    contact: ContactOut
    released_messages: int = Field(description="HELD messages now delivered to their rooms")
