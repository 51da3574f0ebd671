"""The campaign API's request and response bodies (DESIGN.md §8)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from relaybird.campaigns.transitions import CampaignState, RecipientState
from relaybird.campaigns.windows import DAYS, Window, check
from relaybird.templates.mapping import SlotMapping


class TemplateSpec(BaseModel):
    """Which template, and how each recipient's values fill it."""

    model_config = ConfigDict(extra="forbid")

    template_id: int | None = Field(
        default=None,
        gt=0,
        description="A template of the sender's catalogue (GET /api/v1/templates?sender_id=). "
        "Instead of name + language.",
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=512, description="Approved template name."
    )
    language: str | None = Field(
        default=None, min_length=2, max_length=16, description="Template language, e.g. en_US."
    )
    body_params: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Upload column names feeding the template's body parameters {{1}}, {{2}}, "
        "... in order (a body-only shorthand; give `mapping` for headers, buttons, named "
        "parameters or constants).",
    )
    mapping: SlotMapping | None = Field(
        default=None,
        description="Each slot of the catalogue template filled from an upload column or a "
        'constant: `{"body": {"1": {"column": "first_name"}, "2": {"value": "25%"}}, '
        '"header": {"image": {"link": "https://..."}} (or {"media_id": ...} from POST '
        '/api/v1/senders/{id}/media), "buttons": [{"index": 0, "sub_type": "url", '
        '"column": "coupon"}]}`. Named templates key the body by parameter name. Needs the '
        "sender's synced catalogue; checked against it (a slot left out, a slot the template "
        "lacks, a media header without link or media_id: 422 naming the slot), and each "
        "uploaded row against Meta's limits (an empty or too long value: that recipient is "
        "INVALID_RECORD naming the slot).",
    )

    @model_validator(mode="after")
    def _named(self) -> TemplateSpec:
        if self.template_id is None and (self.name is None or self.language is None):
            raise ValueError("name the template by template_id, or by name and language")
        if self.mapping is not None and self.body_params:
            raise ValueError("give mapping or body_params, not both")
        return self


class TemplateOut(BaseModel):
    template_id: int | None = Field(description="The catalogue entry, when it was resolved.")
    name: str
    language: str
    body_params: list[str] = Field(description="Body-only campaigns: the body's columns.")
    mapping: dict[str, Any] | None = Field(description="How each slot is filled (see create).")
    columns: list[str] = Field(description="The upload columns the campaign reads.")


class SendWindowIn(BaseModel):
    """When recipients may be sent to, in each one's own time zone."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(
        min_length=1, max_length=5, description="Opens at this local time, HH:MM (00:00-23:59)."
    )
    end: str = Field(
        min_length=1,
        max_length=5,
        description="Closes at this local time, HH:MM (24:00: midnight). Must come after "
        "`start`, unless `overnight`.",
    )
    days: list[str] = Field(
        default_factory=lambda: list(DAYS),
        max_length=7,
        description="The days it opens on (MON TUE WED THU FRI SAT SUN; default every day). An "
        "overnight window belongs to the day it opens.",
    )
    time_zone: str = Field(
        min_length=1,
        max_length=64,
        description="An IANA zone (e.g. Europe/Prague): the window's zone for recipients whose "
        "own zone is not known (their number spans several zones, e.g. a mobile in Russia or "
        "Australia, and the upload has no `timezone` column).",
    )
    overnight: bool = Field(
        default=False,
        description="The window runs past midnight: `end` before `start` (e.g. 20:00-08:00).",
    )

    @model_validator(mode="after")
    def _valid(self) -> SendWindowIn:
        self.days = [d.strip().upper() for d in self.days]
        problems = check(self.start, self.end, self.days, self.time_zone, self.overnight)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def stored(self) -> dict[str, Any]:
        return self.model_dump()


class SendWindowOut(BaseModel):
    start: str
    end: str
    days: list[str]
    time_zone: str
    overnight: bool
    description: str = Field(description="The window in words.")

    @classmethod
    def of(cls, stored: dict[str, Any]) -> SendWindowOut:
        return cls(
            start=stored["start"],
            end=stored["end"],
            days=list(stored["days"]),
            time_zone=stored["time_zone"],
            overnight=bool(stored.get("overnight", False)),
            description=Window.of(stored).describe(),
        )


SEND_WINDOW_HELP = (
    "A send window: recipients are sent to only while it is open in their own time zone (the "
    "upload's `timezone` column, else the zone their number implies, else the window's "
    "`time_zone`); the others wait (INITIAL, not failed) and the campaign says `waiting for "
    "send window` when none is open. Null: any time. A bad window is a 422 that changes "
    "nothing."
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
        description="Pause this campaign by itself when its sender becomes FLAGGED (quality LOW) "
        "or its template's quality turns RED.",
    )
    quality_guard_yellow: bool = Field(
        default=False,
        description="With quality_guard: a template turning YELLOW pauses it too.",
    )
    auto_resume: bool = Field(
        default=False,
        description="Resume by itself when Meta makes its template sendable again after the "
        "template's stop (PAUSED, ...) auto-paused it.",
    )
    send_window: SendWindowIn | None = Field(default=None, description=SEND_WINDOW_HELP)


class CampaignPatch(BaseModel):
    """The fields a campaign may change after it is created (only those given change)."""

    model_config = ConfigDict(extra="forbid")

    send_window: SendWindowIn | None = Field(default=None, description=SEND_WINDOW_HELP)


class CampaignOut(BaseModel):
    id: int
    name: str
    sender_id: int
    state: CampaignState
    template: TemplateOut
    start_at: datetime | None
    pause_reason: str | None = Field(description="Why it is paused (admin or engine).")
    paused_by: str | None
    quality_guard: bool
    quality_guard_yellow: bool
    auto_resume: bool
    waiting_reason: str | None = Field(
        description="Why a RUNNING campaign is not sending right now (sender restricted, "
        "waiting for send window, ...)."
    )
    send_window: SendWindowOut | None = Field(
        default=None, description="When its recipients may be sent to (None: any time)."
    )
    next_window_at: datetime | None = Field(
        default=None,
        description="A RUNNING campaign waiting for its send window: when the first zone with "
        "recipients still to send opens.",
    )
    counts: dict[str, int] = Field(description="Recipients per state (every state listed).")
    total: int = Field(description="Recipients uploaded, invalid records included.")
    failed: int = Field(
        description="Recipients in a failed final state: SENDING_FAILED, DELIVERY_FAILED, ERROR "
        "and INVALID_RECORD (their parts are in `counts`). The CLI and dashboard use the same "
        "definition."
    )
    reply_count: int
    reply_rate: float = Field(
        description="Recipients who replied / recipients delivered (DELIVERED or READ); 0 before "
        "any delivery. The rates are defined once: `GET /campaigns/{id}/analytics`."
    )
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
    button: str = Field(
        description="What the button sends back: a template quick reply's `payload`, an "
        "interactive reply button's or list row's `id`."
    )
    label: str | None = Field(description="The text the button showed (its `text` / `title`).")
    count: int = Field(description="Taps: every reply with this button.")
    recipients: int = Field(description="Distinct recipients who tapped it.")


class PreviewOut(BaseModel):
    campaign_id: int
    row: int = Field(description="The recipient's row in the uploaded file (header = row 1).")
    recipient_id: int
    phone: str | None
    state: RecipientState
    invalid_reason: str | None = Field(description="Why the import set the row aside.")
    template: str = Field(description="name (language)")
    template_id: int | None = Field(description="The catalogue entry rendered; None: no catalogue.")
    category: str | None
    header: str | None = Field(
        description="The header as the recipient sees it: its text filled, or the media / "
        "location described in brackets."
    )
    body: str | None = Field(description="The body with its parameters filled.")
    footer: str | None
    buttons: list[str] = Field(description="Each button: its label and what it does.")
    params: dict[str, str] = Field(description="The recipient's values, by upload column.")
    request: dict[str, Any] | None = Field(
        description="The send request's `template` object, exactly as it goes to Meta (None "
        "when a value breaks Meta's limits: see `problems`)."
    )
    problems: list[str] = Field(description="Why this row cannot be sent, each naming its slot.")


class RateCardOut(BaseModel):
    currency: str
    effective: str = Field(description="The date the card's prices took effect.")
    source: str = Field(description="Where the figures come from.")


class MarketOut(BaseModel):
    market: str
    recipients: int
    rate: Decimal | None = Field(description="Per delivered message; None: the card has none.")
    amount: Decimal | None


class EstimateOut(BaseModel):
    category: str
    amount: Decimal = Field(description="If every priced recipient is delivered (an upper bound).")
    priced: int
    unpriced: int = Field(description="Recipients in markets the card has no rate for.")
    markets: list[MarketOut]


class CategoryCost(BaseModel):
    messages: int
    amount: Decimal


class ActualOut(BaseModel):
    amount: Decimal
    billed: int = Field(description="Messages Meta reported billable, priced by the card.")
    free: int = Field(description="Messages Meta reported free (free_entry_point, ...).")
    unpriced: int = Field(description="Billable, but the card has no rate for them.")
    by_category: dict[str, CategoryCost] = Field(description="By Meta's pricing category.")


class CampaignCost(BaseModel):
    campaign_id: int
    currency: str
    rate_card: RateCardOut
    category: str | None = Field(description="The template's category (None: not in a catalogue).")
    pending_category: str | None = Field(description="A recategorisation Meta announced.")
    estimate: EstimateOut | None = Field(
        description="Recipients to send (or sent) by country × the category's rate."
    )
    actual: ActualOut = Field(description="What the status webhooks' `pricing` reported.")


class SenderCampaignCost(BaseModel):
    campaign_id: int
    name: str
    amount: Decimal


class SenderCost(BaseModel):
    sender_id: int
    currency: str
    rate_card: RateCardOut
    actual: ActualOut
    campaigns: list[SenderCampaignCost]


class AnalyticsTotals(BaseModel):
    recipients: int = Field(description="Every recipient of the campaign, invalid rows included.")
    sent: int = Field(
        description="Recipients Meta accepted: SENT, DELIVERED, READ or DELIVERY_FAILED (a "
        "131026 reported after the accept makes it SENDING_FAILED: a failure, not a send)."
    )
    delivered: int = Field(description="DELIVERED or READ.")
    read: int = Field(description="READ.")
    replied: int = Field(description="Recipients who replied (their first reply counts).")
    opted_out: int = Field(
        description="Numbers sent this campaign that are on the suppression list by their own "
        "doing (opt-out keyword, Meta's marketing stop, 131050) since that send; one that opted "
        "in again no longer counts."
    )
    failed: int = Field(
        description="Recipients in a failed final state (SENDING_FAILED, DELIVERY_FAILED, ERROR, "
        "INVALID_RECORD): the `failed` of the campaign, the CLI and the dashboard."
    )


class AnalyticsRates(BaseModel):
    delivery_rate: float | None = Field(description="delivered / sent; null before any send.")
    read_rate: float | None = Field(description="read / delivered; null before any delivery.")
    reply_rate: float | None = Field(description="replied / delivered.")
    opt_out_rate: float | None = Field(description="opted_out / delivered.")
    failure_rate: float | None = Field(description="failed / recipients.")


class FailureRow(BaseModel):
    state: RecipientState = Field(description="One of the failed states.")
    error_code: int | None = Field(description="Meta's error code; null when there is none.")
    title: str | None = Field(
        description="Meta's title for the code as received (else relaybird's description of the "
        "code; for rows without a code, what the state means)."
    )
    count: int


class HourOut(BaseModel):
    hour: datetime = Field(description="Start of the hour, in the series' time zone.")
    sent: int = Field(description="Recipients first accepted by Meta in this hour.")
    delivered: int = Field(description="Recipients first delivered (or read) in this hour.")
    read: int = Field(description="Recipients read in this hour.")


class SeriesOut(BaseModel):
    time_zone: str = Field(description="IANA name: UTC, or the zone asked for.")
    hours: list[HourOut] = Field(
        description="Every hour from the first activity to the last (zeros included), at most "
        "the first 744 (31 days)."
    )
    truncated: bool = Field(description="True when activity went on past those hours.")


class AnalyticsOut(BaseModel):
    campaign_id: int
    state: CampaignState
    totals: AnalyticsTotals
    rates: AnalyticsRates
    failures: list[FailureRow] = Field(
        description="Failed recipients by state and error code, most first (at most 100 rows)."
    )
    series: list[SeriesOut] = Field(
        description="Sends, deliveries and reads per hour: in UTC first, then in `time_zone` "
        "when one was asked for."
    )
