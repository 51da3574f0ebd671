"""The campaign API (DESIGN.md §8): lifecycle, uploads, recipients, history, export."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse, StreamingResponse

from relaybird.api.deps import Admin, Ctx, ListWindow, ReadSession, Viewer, WriteSession
from relaybird.campaigns import costs, export, retry, service, templating, uploads
from relaybird.campaigns.schemas import (
    ActualOut,
    CampaignCost,
    CampaignCreate,
    CampaignOut,
    CampaignPage,
    CampaignPatch,
    CategoryCost,
    EstimateOut,
    HistoryItem,
    MarketOut,
    PreviewOut,
    RateCardOut,
    RecipientOut,
    RecipientPage,
    RetryRequest,
    SenderCampaignCost,
    SenderCost,
    UploadSummary,
)
from relaybird.campaigns.transitions import RecipientState
from relaybird.context import AppContext
from relaybird.errors import NotFound, ServiceUnavailable
from relaybird.kit.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from relaybird.templates.pricing import RateCard, RateCardError

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


@router.post(
    "",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a campaign",
    description="A campaign sends one approved template from one sender. Name it by "
    "`template.template_id` (a template of the sender's synced catalogue) or by `name` + "
    "`language`, and fill its slots with `template.mapping` (header text / image / video / "
    "document / location, body parameters positional or named, URL suffix, quick-reply "
    "payload, copy code: each from an upload column or a constant; a slot left unmapped, a "
    "slot the template lacks, a media header without link or media_id is a 422 whose "
    "`errors` name the slot), or, for a body-only template, with `template.body_params` (the "
    "upload columns of {{1}}, {{2}}, ... in order). With "
    "`start_at` it starts by itself at that time. `quality_guard` pauses it when its sender is "
    "FLAGGED or its template's quality turns RED (`quality_guard_yellow`: YELLOW too); "
    "`auto_resume` resumes it when Meta makes its paused template sendable again. When the "
    "sender's business account has a "
    "synced template catalogue, the template is checked against it (here, at start and at "
    "resume): a name + language the catalogue lacks, a template that is not sendable (its "
    "status and Meta's reason), a body parameter count that is not the template's, named "
    "parameters, or a header or button that needs a value is a 422 naming the problem. No "
    "catalogue yet: the name is free text, checked by Meta at the first send. `send_window` "
    '(e.g. `{"start": "09:00", "end": "20:00", "days": ["MON", "TUE", '
    '"WED", "THU", "FRI", "SAT"], "time_zone": "Europe/Prague"}`) sends '
    "to each recipient only while the window is open in the recipient's own time zone.",
)
def create_campaign(
    body: CampaignCreate, principal: Admin, session: WriteSession, ctx: Ctx
) -> CampaignOut:
    now = ctx.clock.now()
    campaign = service.create(session, principal.workspace_id, body, actor=principal.actor, at=now)
    return service.to_out(service.summaries(session, [campaign], now=now)[0])


@router.get(
    "",
    response_model=CampaignPage,
    summary="List campaigns",
    description="Campaigns of the workspace, oldest first, with their per-state counts.",
)
def list_campaigns(
    principal: Viewer, session: ReadSession, ctx: Ctx, cursor: Cursor = None, limit: Limit = 50
) -> CampaignPage:
    after = decode_cursor(cursor) if cursor else None
    items, last = service.list_page(
        session, principal.workspace_id, after_id=after, limit=limit, now=ctx.clock.now()
    )
    return CampaignPage(
        items=[service.to_out(s) for s in items], next_cursor=encode_cursor(last) if last else None
    )


@router.get(
    "/costs",
    response_model=SenderCost,
    summary="What a sender's campaigns cost",
    description="The actual cost of every campaign of the sender, as the status webhooks' "
    "`pricing` reported it (billable or free, Meta's pricing category), priced by the rate card "
    "(RELAYBIRD_TEMPLATE_RATE_CARD; its date and source are in `rate_card`). Per message "
    "pricing: Meta bills delivered template messages only.",
)
def sender_costs(
    principal: Viewer,
    session: ReadSession,
    ctx: Ctx,
    sender_id: Annotated[int, Query(gt=0, description="The sender.")],
) -> SenderCost:
    rates = _rates(ctx)
    ws = principal.workspace_id
    if service.get_sender(session, ws, sender_id) is None:
        raise NotFound(f"sender {sender_id} not found")
    ids = costs.campaigns_of_sender(session, ws, sender_id)
    amounts = costs.amounts_by_campaign(session, ids)
    names = {c.id: c.name for c in service.by_ids(session, ws, ids)}
    return SenderCost(
        sender_id=sender_id,
        currency=rates.currency,
        rate_card=_card_out(rates),
        actual=_actual_out(costs.actual(session, ids, rates)),
        campaigns=[
            SenderCampaignCost(campaign_id=i, name=names.get(i, ""), amount=amounts.get(i, 0))
            for i in ids
        ],
    )


@router.get(
    "/{campaign_id}/cost",
    response_model=CampaignCost,
    summary="What a campaign will cost, and what it cost",
    description="`estimate`: its recipients to send (or sent) by country × the rate of its "
    "template's category in the rate card (RELAYBIRD_TEMPLATE_RATE_CARD, with its date and "
    "source), as if every one were delivered (Meta bills delivered messages only), before and "
    "during the campaign; a market the card has no rate for is counted `unpriced`, never "
    "guessed. The category is read now: when Meta recategorises the template "
    "(template_category_update) the estimate follows; an announced change is "
    "`pending_category`. `actual`: what the status webhooks' `pricing` reported, priced by "
    "the card. No catalogue template: no category, no estimate.",
)
def campaign_cost(
    campaign_id: int, principal: Viewer, session: ReadSession, ctx: Ctx
) -> CampaignCost:
    rates = _rates(ctx)
    campaign = service.get(session, principal.workspace_id, campaign_id)
    priced = costs.estimate_for(session, campaign, templating.template_of(session, campaign), rates)
    e = priced.estimate
    return CampaignCost(
        campaign_id=campaign.id,
        currency=rates.currency,
        rate_card=_card_out(rates),
        category=priced.category,
        pending_category=priced.pending_category,
        estimate=None
        if e is None
        else EstimateOut(
            category=e.category,
            amount=e.amount,
            priced=e.priced,
            unpriced=e.unpriced,
            markets=[
                MarketOut(market=m.market, recipients=m.recipients, rate=m.rate, amount=m.amount)
                for m in e.markets
            ],
        ),
        actual=_actual_out(costs.actual(session, [campaign.id], rates)),
    )


def _rates(ctx: AppContext) -> RateCard:
    try:
        return costs.card(ctx.settings.template_rate_card)
    except RateCardError as exc:
        raise ServiceUnavailable(str(exc)) from None


def _card_out(rates: RateCard) -> RateCardOut:
    return RateCardOut(currency=rates.currency, effective=rates.effective, source=rates.source)


def _actual_out(a: costs.Actual) -> ActualOut:
    return ActualOut(
        amount=a.amount,
        billed=a.billed,
        free=a.free,
        unpriced=a.unpriced,
        by_category={k: CategoryCost(messages=n, amount=m) for k, (n, m) in a.by_category.items()},
    )


@router.get(
    "/{campaign_id}",
    response_model=CampaignOut,
    summary="A campaign with its per-state counts",
    description="`counts` lists every recipient state; it is read from counters kept with each "
    "move, so it costs the same at a million recipients. `waiting_reason` says why a RUNNING "
    "campaign is not sending (e.g. the sender is RESTRICTED until a time, or `waiting for "
    "send window` while the window is closed for every recipient left, with "
    "`next_window_at`).",
)
def get_campaign(
    campaign_id: int, principal: Viewer, session: ReadSession, ctx: Ctx
) -> CampaignOut:
    return service.to_out(
        service.summary(session, principal.workspace_id, campaign_id, now=ctx.clock.now())
    )


@router.patch(
    "/{campaign_id}",
    response_model=CampaignOut,
    summary="Change a campaign's send window",
    description="Sets (`send_window`: an object, see Create a campaign) or clears "
    "(`send_window`: null) the campaign's send window, before or while it runs (the next "
    "claim follows it) or while it is paused; a COMPLETED or ENDED campaign answers 409. A "
    "field left out stays as it is. A bad window (end not after start without `overnight`, an "
    "unknown `time_zone`, no `days`, a time that is not HH:MM) is a 422 listing every problem, "
    "and changes nothing.",
)
def patch_campaign(
    campaign_id: int, body: CampaignPatch, principal: Admin, session: WriteSession, ctx: Ctx
) -> CampaignOut:
    now = ctx.clock.now()
    ws = principal.workspace_id
    if "send_window" in body.model_fields_set:
        window = None if body.send_window is None else body.send_window.stored()
        service.set_window(session, ws, campaign_id, window, at=now)
    return service.to_out(service.summary(session, ws, campaign_id, now=now))


def _lifecycle_route(event: str, summary: str, description: str) -> None:
    def handler(campaign_id: int, principal: Admin, session: WriteSession, ctx: Ctx) -> CampaignOut:
        now = ctx.clock.now()
        ws = principal.workspace_id
        if event == "start":
            service.start(session, ws, campaign_id, actor=principal.actor, at=now)
        elif event == "pause":
            service.pause(session, ws, campaign_id, actor=principal.actor, at=now)
        elif event == "resume":
            service.resume(session, ws, campaign_id, actor=principal.actor, at=now)
        else:
            service.end(session, ws, campaign_id, actor=principal.actor, at=now)
            service.cancel_waiting(session, campaign_id, actor=principal.actor, at=now)
        return service.to_out(service.summary(session, ws, campaign_id, now=now))

    handler.__name__ = f"{event}_campaign"
    router.post(
        f"/{{campaign_id}}/{event}",
        response_model=CampaignOut,
        summary=summary,
        description=description + " An illegal move answers 409 `illegal_transition`.",
    )(handler)


_lifecycle_route(
    "start",
    "Start a campaign",
    "NOT_STARTED → RUNNING: the dispatcher begins. 422 when the sender's synced catalogue says "
    "the template cannot be sent (see Create a campaign).",
)
_lifecycle_route(
    "pause",
    "Pause a campaign",
    "RUNNING → PAUSED; sends already started finish, claimed ones go back untouched.",
)
_lifecycle_route(
    "resume",
    "Resume a campaign",
    "PAUSED → RUNNING (also after an auto-pause). 422 while its template cannot be sent.",
)
_lifecycle_route(
    "end",
    "End a campaign",
    "→ ENDED: every INITIAL and RETRY_SCHEDULED recipient becomes CANCELED_BY_ADMIN; in-flight "
    "ones finish.",
)


@router.get(
    "/{campaign_id}/preview",
    response_model=PreviewOut,
    summary="Preview one recipient's message",
    description="The message the recipient uploaded at file row `row` (the header is row 1; "
    "the first recipient when omitted) will get, rendered from the catalogue template: the "
    "header (text filled, or the image / video / document / location described), the body "
    "with its parameters filled, the footer and each button (a URL with its suffix), and the "
    "`request` that goes to Meta. A row the import set aside shows its `invalid_reason` and "
    "`problems`. Without a synced catalogue (a free-text template) only the values are shown. "
    "404 when there is no recipient at that row.",
)
def preview_campaign(
    campaign_id: int,
    principal: Viewer,
    session: ReadSession,
    row: Annotated[
        int | None, Query(ge=2, le=2**31 - 1, description="File row (the header is row 1).")
    ] = None,
) -> PreviewOut:
    campaign = service.get(session, principal.workspace_id, campaign_id)
    return templating.preview_out(campaign, templating.preview(session, campaign, row))


@router.post(
    "/{campaign_id}/retry",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    summary="Retry what failed, as a follow-up campaign",
    description="A finished campaign (COMPLETED or ENDED; else 409) gives its recipients in "
    "`states` (default ERROR and DELIVERY_FAILED; also SENDING_FAILED, CANCELED_BY_ADMIN, "
    "REMOVED) to a new NOT_STARTED campaign with the same sender, template and values, linked "
    "by `parent_campaign_id`; start it as any other. The first campaign is not changed. Never "
    "retried: SENDING_FAILED 131026 (not on WhatsApp), 131050 (stopped marketing messages), "
    "`opted out` rows and numbers on the suppression list (unless the template's category is "
    "exempt). 409 when nothing is left to retry (no campaign is created).",
)
def retry_campaign(
    campaign_id: int,
    principal: Admin,
    session: WriteSession,
    ctx: Ctx,
    body: RetryRequest | None = None,
) -> CampaignOut:
    child = retry.retry(
        session,
        principal.workspace_id,
        campaign_id,
        body or RetryRequest(),
        settings=ctx.settings,
        actor=principal.actor,
        at=ctx.clock.now(),
    )
    return service.to_out(service.summary(session, principal.workspace_id, child.id))


@router.post(
    "/{campaign_id}/recipients",
    response_model=UploadSummary,
    summary="Upload recipients (CSV or XLSX)",
    description="Multipart field `file`. The phone column is `phone` (also `Guest phone number`, "
    "`phone_number`, `msisdn`, any case); numbers without + are read in the default region. "
    "Other columns are template parameters by name. Bad rows become INVALID_RECORD with their "
    "row number and reason, also a row over the upload limits (`RELAYBIRD_UPLOAD_MAX_COLUMNS`, "
    "`_CELL`, `_ROW`: the reason names it); a header over them, or an XLSX file too large "
    "unpacked (`_UNPACKED`) or with a row too wide, is refused whole (422). Waits up to `wait` "
    "seconds for the import: 200 with the summary, or 202 with the progress so far (poll "
    "`GET .../imports/{import_id}`). Refused (409) once the campaign is ENDED or COMPLETED.",
    responses={202: {"description": "Still importing; poll the import", "model": UploadSummary}},
)
async def upload_recipients(
    campaign_id: int,
    principal: Admin,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX")],
    wait: Annotated[float, Query(ge=0, le=600, description="Seconds to wait for the import.")] = 60,
) -> Response:
    filename = file.filename or "upload.csv"
    path = await asyncio.to_thread(_spool, file)
    try:
        import_id = await asyncio.to_thread(
            uploads.begin, ctx, principal.workspace_id, campaign_id, filename, path
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    done = uploads.start_thread(ctx, import_id, path, filename)
    finished = await asyncio.to_thread(done.wait, wait)
    result = await asyncio.to_thread(
        uploads.status, ctx, principal.workspace_id, campaign_id, import_id
    )
    location = f"/api/v1/campaigns/{campaign_id}/imports/{import_id}"
    code = status.HTTP_200_OK if finished else status.HTTP_202_ACCEPTED
    return JSONResponse(
        result.model_dump(mode="json"), status_code=code, headers={"Location": location}
    )


def _spool(file: UploadFile) -> Path:
    with tempfile.NamedTemporaryFile(prefix="relaybird-upload-", delete=False) as out:
        shutil.copyfileobj(file.file, out, 1 << 20)
        return Path(out.name)


@router.get(
    "/{campaign_id}/imports/{import_id}",
    response_model=UploadSummary,
    summary="An upload's progress and summary",
    description="`state` is RUNNING, DONE or FAILED (`failure` says why); `progress` is 0..1. "
    "An import whose process died (its heartbeat silent for two minutes) becomes FAILED "
    '"interrupted": the rows it counted are stored; upload the file again for the rest.',
)
def get_import(campaign_id: int, import_id: int, principal: Viewer, ctx: Ctx) -> UploadSummary:
    return uploads.status(ctx, principal.workspace_id, campaign_id, import_id)


@router.get(
    "/{campaign_id}/recipients",
    response_model=RecipientPage,
    summary="List a campaign's recipients",
    description="Keyset pages (`cursor`: the previous page's `next_cursor`), each costing the "
    "same at a million recipients. Without `phone_prefix`: in upload order (by id), optionally "
    "of one `state`. With `phone_prefix`: the recipients whose E.164 number starts with it, in "
    "number order, optionally of one `state` too; a cursor is only valid for the kind of list "
    "it came from (else 422).",
)
def list_recipients(
    campaign_id: int,
    principal: Viewer,
    session: ReadSession,
    state: RecipientState | None = None,
    phone_prefix: Annotated[
        str | None,
        Query(
            pattern=r"^\+?[0-9]{1,15}$",
            description="Only numbers starting with these digits (E.164, the + optional), "
            "e.g. `+1212` or `44`.",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> RecipientPage:
    if phone_prefix is not None:
        rows, next_cursor = service.search_recipients(
            session,
            principal.workspace_id,
            campaign_id,
            phone_prefix,
            state=state,
            cursor=cursor,
            limit=limit,
        )
        return RecipientPage(
            items=[RecipientOut.model_validate(r) for r in rows], next_cursor=next_cursor
        )
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.recipients_page(
        session, principal.workspace_id, campaign_id, state=state, after_id=after, limit=limit
    )
    return RecipientPage(
        items=[RecipientOut.model_validate(r) for r in rows],
        next_cursor=encode_cursor(last) if last else None,
    )


@router.get(
    "/{campaign_id}/recipients/{recipient_id}",
    response_model=RecipientOut,
    summary="One recipient",
)
def get_recipient(
    campaign_id: int, recipient_id: int, principal: Viewer, session: ReadSession
) -> RecipientOut:
    row = service.get_recipient(session, principal.workspace_id, campaign_id, recipient_id)
    return RecipientOut.model_validate(row)


@router.get(
    "/{campaign_id}/recipients/{recipient_id}/history",
    response_model=list[HistoryItem],
    summary="A recipient's history",
    description="Every state change, oldest first, starting with its import.",
)
def recipient_history(
    campaign_id: int,
    recipient_id: int,
    principal: Viewer,
    session: ReadSession,
    window: ListWindow,
) -> list[HistoryItem]:
    ws = principal.workspace_id
    rows = service.recipient_history(session, ws, campaign_id, recipient_id, **window.bounds)
    return [HistoryItem.model_validate(r) for r in window.take(rows)]


@router.delete(
    "/{campaign_id}/recipients/{recipient_id}",
    response_model=RecipientOut,
    summary="Remove a recipient",
    description="INITIAL or RETRY_SCHEDULED → REMOVED, only while the campaign is NOT_STARTED or "
    "PAUSED (409 otherwise).",
)
def remove_recipient(
    campaign_id: int, recipient_id: int, principal: Admin, session: WriteSession, ctx: Ctx
) -> RecipientOut:
    service.remove_recipient(
        session,
        principal.workspace_id,
        campaign_id,
        recipient_id,
        actor=principal.actor,
        at=ctx.clock.now(),
    )
    return RecipientOut.model_validate(
        service.get_recipient(session, principal.workspace_id, campaign_id, recipient_id)
    )


@router.get(
    "/{campaign_id}/export.csv",
    summary="Export the results as CSV",
    description="One line per recipient: row, phone, state, attempts, wamid, error code and "
    "title, invalid reason, reply, cost, and when it was sent (accepted by Meta), delivered and "
    "read (`sent_at`, `delivered_at`, `read_at`, RFC 3339 UTC, empty when not reached). A "
    "cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage "
    "return, other than a plain number such as an E.164 phone) is prefixed with `'` (OWASP CSV "
    "injection).",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_csv(campaign_id: int, principal: Viewer, ctx: Ctx) -> StreamingResponse:
    with ctx.db.read() as session:
        service.get(session, principal.workspace_id, campaign_id)

    return StreamingResponse(
        export.stream(ctx.db, campaign_id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"'},
    )
