from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Source(StrEnum):
    """Why a number is suppressed."""

    KEYWORD = "keyword"  # they texted an opt-out keyword
    USER_PREFERENCES = "user_preferences"  # Meta's marketing stop (user_preferences webhook)
    ERROR_131050 = "error_131050"  # a send failed: they stopped marketing messages
    MANUAL = "manual"  # an operator added it
    BOUNCED = "bounced"  # an operator (or an import) marked it undeliverable


# What the person themself can lift (an opt-in keyword, Meta's resume): what they, or Meta on
# their behalf, put there. An operator's suppression stays until an operator removes it.
SELF_LIFTED = frozenset({Source.KEYWORD, Source.USER_PREFERENCES, Source.ERROR_131050})

EXEMPTABLE = ("UTILITY", "AUTHENTICATION")


class SuppressionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=64, description="The number, E.164 preferred.")
    source: Source = Field(default=Source.MANUAL, description="Why it is suppressed.")
    reason: str | None = Field(default=None, max_length=500, description="Free text for people.")


class SuppressionOut(BaseModel):
    id: int
    phone: str
    source: Source
    reason: str | None
    sender_id: int | None
    created_by: str
    created_at: datetime


class SuppressionPage(BaseModel):
    items: list[SuppressionOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class ImportSummary(BaseModel):
    rows: int
    added: int
    already: int = Field(description="Rows whose number was suppressed already (left as it was).")
    invalid: int
    errors: list[dict[str, object]] = Field(description="The first invalid rows: {row, reason}.")


class ConsentRules(BaseModel):
    """A workspace's consent settings (the defaults when it never set them)."""

    model_config = ConfigDict(extra="forbid")

    opt_out_keywords: list[str] = Field(
        max_length=100,
        description="Whole-message keywords that suppress the number (case and accents ignored).",
    )
    opt_in_keywords: list[str] = Field(
        max_length=100, description="Whole-message keywords that lift the person's own opt-out."
    )
    confirm: bool = Field(description="Answer a keyword with a confirmation text.")
    opt_out_reply: str = Field(min_length=1, max_length=1024)
    opt_in_reply: str = Field(min_length=1, max_length=1024)
    exempt_categories: list[str] = Field(
        max_length=2,
        description="Template categories still sent to suppressed numbers: UTILITY and/or "
        "AUTHENTICATION. MARKETING never is.",
    )
