"""Bodies of the Direct webhook (``POST /webhooks/direct``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
