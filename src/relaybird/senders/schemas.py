"""The senders API's JSON shapes (DESIGN.md §8). The access token goes in, never out."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from relaybird.config import LimitModel
from relaybird.senders.transitions import MessagingLimit, QualityRating, SenderStatus

# What an access token may hold: visible ASCII (it is sent as "Authorization: Bearer <token>").
TOKEN_CHARACTERS = re.compile(r"[\x21-\x7e]{1,4096}")
TOKEN_RULE = (
    "access_token must be 1 to 4096 printable ASCII characters, "  # noqa: S105 (a message)
    "no spaces or control characters"
)


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be a sender's access token, or None. A token with control
    characters ("tok\\r\\nX: 1") was accepted once, then failed every call for its number inside
    the HTTP client (issue 11): every door refuses it."""
    return None if TOKEN_CHARACTERS.fullmatch(token) else TOKEN_RULE


class SenderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="A name people recognise.")
    phone_number_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The provider's id of the number (Meta: the phone-number id).",
    )
    display_phone_number: str = Field(
        min_length=3,
        max_length=32,
        pattern=r"^\+?[0-9 ().-]+$",
        description="The number as people see it, e.g. +1 555-010-2030.",
    )
    access_token: SecretStr = Field(
        min_length=1,
        max_length=4096,
        description="The provider access token for this number: 1 to 4096 printable ASCII "
        "characters, no spaces or control characters (it travels in an HTTP header). Stored; "
        "never returned or logged.",
    )

    waba_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The business account (portfolio) the number belongs to. Required in the "
        "PER_PORTFOLIO limit model: its numbers share one limit.",
    )
    limit_model: LimitModel | None = Field(
        default=None, description="PER_NUMBER or PER_PORTFOLIO; default: the workspace's model."
    )
    throughput_cap: int | None = Field(
        default=None, ge=1, le=1000, description="A lower cap on messages per second."
    )

    @field_validator("access_token")
    @classmethod
    def _header_safe(cls, token: SecretStr) -> SecretStr:
        problem = token_problem(token.get_secret_value())
        if problem is not None:
            raise ValueError(problem)
        return token


class SenderOut(BaseModel):
    id: int
    name: str
    phone_number_id: str
    display_phone_number: str
    waba_id: str | None
    status: SenderStatus
    status_reason: str | None = Field(description="Why the last status change happened.")
    provider_status: str | None = Field(
        description="The provider's own status string, verbatim (an open set)."
    )
    quality_rating: QualityRating
    messaging_limit: MessagingLimit
    limit_model: LimitModel
    throughput_mps: int = Field(description="Messages per second the provider allows.")
    throughput_cap: int | None
    last_synced_at: datetime | None
    created_at: datetime


class WindowUsage(BaseModel):
    used: int = Field(description="Unique business-initiated recipients in the moving 24 h.")
    limit: int | None = Field(description="The limit in recipients; null: unlimited.")
    shared_by: int = Field(description="Numbers sharing this window (PER_PORTFOLIO: >1).")
    frees_at: datetime | None = Field(description="When a full window has room again.")
    unique_7d: int = Field(description="Unique recipients within 7 days (tier upgrades).")


class SendingPermit(BaseModel):
    business_initiated: bool = Field(description="May template (business-initiated) messages go?")
    replies: bool = Field(description="May replies inside an open customer-service window go?")
    reason: str | None = Field(description="Why business-initiated messages may not go.")
    until: datetime | None = Field(description="When that changes by itself, if known.")


class NextMoment(BaseModel):
    kind: str = Field(description="restriction_release, flag_decision, flag_recovery, upgrade, ...")
    at: datetime | None
    text: str = Field(description='e.g. "restricted until 14:05 UTC"')


class SenderDetail(SenderOut):
    usage: WindowUsage
    throughput: int = Field(description="Effective messages per second (provider's or the cap).")
    sending: SendingPermit
    next: NextMoment | None = Field(description="The next scheduled lifecycle moment.")
    flagged_at: datetime | None
    restricted_by: Literal["LIMIT", "PROVIDER"] | None = Field(
        description="While RESTRICTED, why: LIMIT (our moving 24 h window reached the messaging "
        "limit; released when it has room) or PROVIDER (Meta restricted the number: an "
        "account_update, a sync reading RESTRICTED or a send error; released at its end date "
        "or by a later reading that says it can send). Null otherwise."
    )
    restricted_until: datetime | None


class SenderPage(BaseModel):
    items: list[SenderOut]
    next_cursor: str | None


class HistoryItem(BaseModel):
    id: int
    from_state: SenderStatus | None
    to_state: SenderStatus | None
    event: str
    actor: str
    reason: str | None
    error_code: int | None
    created_at: datetime
