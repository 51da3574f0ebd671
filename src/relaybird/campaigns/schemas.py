"""The campaign API's request and response bodies (DESIGN.md §8)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from relaybird.campaigns.transitions import CampaignState, RecipientState


class TemplateSpec(BaseModel):
    name: str = Field(min_length=1, max_length=512, description="Approved template name.")
    language: str = Field(min_length=2, max_length=16, description="Template language, e.g. en_US.")
    body_params: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Upload column names feeding the template's body parameters {{1}}, {{2}}, ...",
    )


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    sender_id: int = Field(gt=0)
    template: TemplateSpec
    start_at: datetime | None = Field(
        default=None, description="Scheduled start (RFC 3339). The campaign starts by itself then."
    )
    quality_guard: bool = Field(
        default=False,
        description="Pause this campaign by itself when its sender becomes FLAGGED (quality LOW).",
    )


class CampaignOut(BaseModel):
    id: int
    name: str
    sender_id: int
    state: CampaignState
    template: TemplateSpec
    start_at: datetime | None
    pause_reason: str | None = Field(description="Why it is paused (admin or engine).")
    paused_by: str | None
    quality_guard: bool
    waiting_reason: str | None = Field(
        description="Why a RUNNING campaign is not sending right now (sender restricted, ...)."
    )
    counts: dict[str, int] = Field(description="Recipients per state (every state listed).")
    total: int = Field(description="Recipients uploaded, invalid records included.")
    failed: int = Field(
        description="Recipients in a failed final state: SENDING_FAILED, DELIVERY_FAILED, ERROR "
        "and INVALID_RECORD (their parts are in `counts`). The CLI and dashboard use the same "
        "definition."
    )
    reply_count: int
    reply_rate: float = Field(description="Recipients who replied / recipients sent to.")
    parent_campaign_id: int | None = Field(
        default=None, description="The campaign this one retries (`POST .../retry`), if any."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None


class RowError(BaseModel):
    row: int = Field(description="Row in the file, the header being row 1.")
    reason: str


class UploadSummary(BaseModel):
    accepted: int
    invalid: int
    errors: list[RowError] = Field(description="The first errors (up to 100).")
    import_id: int | None = None
    state: str = Field(
        default="DONE", description="RUNNING while a large import goes on, DONE, FAILED."
    )
    rows: int = 0
    progress: float = Field(default=1.0, description="0..1, by bytes of the file read.")
    failure: str | None = Field(default=None, description="Why the import stopped (FAILED).")


class RecipientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    row_number: int
    phone: str | None
    state: RecipientState
    attempts: int
    wamid: str | None
    error_code: int | None
    error_title: str | None
    invalid_reason: str | None
    next_attempt_at: datetime | None
    replied_at: datetime | None
    updated_at: datetime


class RecipientPage(BaseModel):
    items: list[RecipientOut]
    next_cursor: str | None


class HistoryItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: str | None
    to_state: str | None
    event: str
    actor: str
    reason: str | None
    error_code: int | None
    created_at: datetime


class RetryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    states: list[RecipientState] = Field(
        default_factory=lambda: [RecipientState.ERROR, RecipientState.DELIVERY_FAILED],
        min_length=1,
        description="Final states whose recipients are sent again: ERROR, DELIVERY_FAILED "
        "(the default), SENDING_FAILED, CANCELED_BY_ADMIN, REMOVED.",
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Default: '<parent> (retry)'."
    )


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    recipient_id: int
    wamid: str
    type: str = Field(description="text, button, interactive, image, ... (Meta's message type).")
    text: str | None
    button: str | None = Field(description="A quick-reply button's payload, if one was tapped.")
    received_at: datetime


class ReplyPage(BaseModel):
    items: list[ReplyOut]
    next_cursor: str | None


class ButtonCount(BaseModel):
    button: str
    count: int
