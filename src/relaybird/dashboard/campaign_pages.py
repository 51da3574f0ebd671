"""Campaign pages: the list (with the create form), the live detail, recipients and history."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session as DbSession

from relaybird.api.deps import Ctx
from relaybird.campaigns import analytics, export, retry, templating, uploads
from relaybird.campaigns import service as campaigns
from relaybird.campaigns.schemas import (
    CampaignCreate,
    RetryRequest,
    SendWindowIn,
    TemplateSpec,
)
from relaybird.campaigns.transitions import ALLOWS_REMOVAL, RECIPIENT, RecipientState
from relaybird.campaigns.windows import DAYS
from relaybird.context import AppContext
from relaybird.dashboard.session import DashboardSession
from relaybird.dashboard.web import PREFIX, AdminForm, Session, back, render
from relaybird.errors import AppError, InvalidInput, NotFound
from relaybird.inbox import refusals
from relaybird.kit.pagination import decode_cursor, encode_cursor
from relaybird.operations import service as ops
from relaybird.templates import service as templates
from relaybird.templates.mapping import PAIR_HELP, SlotMapping, from_pairs
from relaybird.templates.transitions import TemplateStatus

router = APIRouter()

STATES = [s.value for s in RecipientState if s != RecipientState.SUCCESSFULLY_SUBMITTED]
# Recipients the table lets an admin remove (the rest would answer 409).
REMOVABLE = {s.value for s in RecipientState if RECIPIENT.can(s, "removed", RecipientState.REMOVED)}
# Upload waits this long before the page moves on (a large file keeps importing).
UPLOAD_WAIT_S = 30.0
PAGE = 50
# Approved templates listed under the create form, with their slots.
CATALOGUE_SHOWN = 200


def _health_by_sender(ctx: AppContext, session_ws: int) -> dict[int, ops.SenderHealth]:
    with ctx.db.read() as session:
        return {h.sender.id: h for h in ops.sender_health(session, ctx.clock.now(), session_ws)}


@router.get("/campaigns", response_class=HTMLResponse)
def campaign_list(
    request: Request, sess: Session, ctx: Ctx, after: int | None = None
) -> HTMLResponse:
    ws = sess.principal.workspace_id
    with ctx.db.read() as session:
        items, last = campaigns.list_page(
            session, ws, after_id=after, limit=PAGE, now=ctx.clock.now()
        )
        health = ops.sender_health(session, ctx.clock.now(), ws)
        refused = refusals.recent(session, ctx.clock.now())
        catalogue = [
            (t, templates.slots_of(t))
            for t in templates.list_templates(
                session, ws, status=TemplateStatus.APPROVED, limit=CATALOGUE_SHOWN
            ).items
        ]
    rows = [(s, ops.progress(s)) for s in reversed(items)]
    return render(
        request,
        sess,
        "campaigns.html",
        rows=rows,
        senders={h.sender.id: h for h in health},
        sender_list=health,
        states=STATES,
        next_after=last,
        ops=ops,
        refused=refused,
        catalogue=catalogue,
        map_help=PAIR_HELP,
        window_days=DAYS,
    )


def _spool(file: UploadFile) -> Path:
    suffix = Path(file.filename or "upload.csv").suffix or ".csv"
    with tempfile.NamedTemporaryFile(prefix="relaybird-ui-", suffix=suffix, delete=False) as out:
        shutil.copyfileobj(file.file, out, 1 << 20)
        return Path(out.name)


@router.post("/campaigns")
async def create_campaign(
    sess: AdminForm,
    ctx: Ctx,
    name: Annotated[str, Form()],
    sender_id: Annotated[int, Form()],
    template_name: Annotated[str, Form()],
    language: Annotated[str, Form()] = "en_US",
    body_params: Annotated[str, Form()] = "",
    mapping: Annotated[str, Form()] = "",
    start: Annotated[str | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None,
    window_start: Annotated[str, Form(max_length=5)] = "",
    window_end: Annotated[str, Form(max_length=5)] = "",
    window_days: Annotated[list[str] | None, Form(max_length=7)] = None,
    window_time_zone: Annotated[str, Form(max_length=64)] = "",
    window_overnight: Annotated[str | None, Form(max_length=1)] = None,
) -> Response:
    """Create, upload the list (if any) and optionally start, as the API would in three calls.
    A send window when either of its times is given (the API's rules, the same 422 reasons)."""
    ws, actor = sess.principal.workspace_id, sess.principal.actor
    try:
        pairs = [line.strip() for line in mapping.splitlines() if line.strip()]
        slots = SlotMapping.model_validate(from_pairs(pairs)) if pairs else None
        window = (
            SendWindowIn(
                start=window_start.strip(),
                end=window_end.strip(),
                days=window_days or [],
                time_zone=window_time_zone.strip() or "UTC",
                overnight=bool(window_overnight),
            )
            if window_start.strip() or window_end.strip()
            else None
        )
        body = CampaignCreate(
            name=name.strip(),
            sender_id=sender_id,
            template=TemplateSpec(
                name=template_name.strip(),
                language=language.strip(),
                body_params=[p.strip() for p in body_params.split(",") if p.strip()],
                mapping=slots,
            ),
            send_window=window,
        )
    except ValueError as exc:
        return back(f"{PREFIX}/campaigns", f"Error: {_first_error(exc)}")
    try:
        campaign_id = await asyncio.to_thread(_create, ctx, ws, body, actor)
    except AppError as exc:
        return back(f"{PREFIX}/campaigns", f"Error: {exc.detail}")
    page = f"{PREFIX}/campaigns/{campaign_id}"
    message = "Campaign created."
    if file is not None and file.filename:
        path = await asyncio.to_thread(_spool, file)
        try:
            import_id = await asyncio.to_thread(
                uploads.begin, ctx, ws, campaign_id, file.filename, path
            )
        except AppError as exc:
            path.unlink(missing_ok=True)
            return back(page, f"Error: campaign created, but the upload was refused: {exc.detail}")
        done = uploads.start_thread(ctx, import_id, path, file.filename)
        await asyncio.to_thread(done.wait, UPLOAD_WAIT_S)
        summary = await asyncio.to_thread(uploads.status, ctx, ws, campaign_id, import_id)
        message += f" {summary.accepted} recipients accepted, {summary.invalid} invalid."
    if start:
        try:
            await asyncio.to_thread(_lifecycle, ctx, ws, campaign_id, "start", actor)
            message += " Started."
        except AppError as exc:
            return back(page, f"Error: {message} Not started: {exc.detail}")
    return back(page, message)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if getattr(exc, "title", "") == SendWindowIn.__name__:
            where = ".".join(["send window", *([where] if where else [])])
        msg = str(first["msg"]).removeprefix("Value error, ")
        return f"{where}: {msg}" if where else msg
    return str(exc)


def _create(ctx: AppContext, ws: int, body: CampaignCreate, actor: str) -> int:
    with ctx.db.write() as session:
        return campaigns.create(session, ws, body, actor=actor, at=ctx.clock.now()).id


def _lifecycle(ctx: AppContext, ws: int, campaign_id: int, action: str, actor: str) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        if action == "start":
            campaigns.start(session, ws, campaign_id, actor=actor, at=now)
        elif action == "pause":
            campaigns.pause(session, ws, campaign_id, actor=actor, at=now)
        elif action == "resume":
            campaigns.resume(session, ws, campaign_id, actor=actor, at=now)
        elif action == "end":
            campaigns.end(session, ws, campaign_id, actor=actor, at=now)
            campaigns.cancel_waiting(session, campaign_id, actor=actor, at=now)
        else:
            raise InvalidInput(f"unknown action {action!r}")


def _live_values(ctx: AppContext, sess: DashboardSession, campaign_id: int) -> dict[str, Any]:
    with ctx.db.read() as session:
        return _live_in(session, ctx, sess.principal.workspace_id, campaign_id)


def _live_in(session: DbSession, ctx: AppContext, ws: int, campaign_id: int) -> dict[str, Any]:
    """The live block's values, read in the caller's transaction."""
    now = ctx.clock.now()
    summary = campaigns.summary(session, ws, campaign_id, now=now)
    health = {h.sender.id: h for h in ops.sender_health(session, now, ws)}.get(
        summary.campaign.sender_id
    )
    progress = ops.progress(summary)
    running = summary.campaign.state == "RUNNING"
    return {
        "s": summary,
        "c": summary.campaign,
        "p": progress,
        "health": health,
        "sent": ops.sent(summary),
        "failed": ops.failed(summary),
        "failed_detail": ops.failed_detail(summary),
        "eta": ops.campaign_eta(summary, health, now) if running else None,
        "states": STATES,
    }


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_detail(
    request: Request,
    sess: Session,
    ctx: Ctx,
    campaign_id: int,
    state: str | None = None,
    phone: str | None = None,
    after: Annotated[str | None, Query(max_length=200)] = None,
    row: int | None = None,
    time_zone: str | None = None,
) -> HTMLResponse:
    ws = sess.principal.workspace_id
    try:
        zone = analytics.zone_named(time_zone)
        zone_problem = None
    except InvalidInput as exc:
        zone, zone_problem = None, exc.detail
    chosen = RecipientState(state) if state in STATES else None
    next_after: str | None = None
    # One read transaction for the whole page: each one more is a connection, a BEGIN and a
    # wait for the interpreter while a running campaign's loops share the process.
    with ctx.db.read() as session:
        live = _live_in(session, ctx, ws, campaign_id)
        upload = uploads.latest_of(session, campaign_id)
        stats = analytics.campaign_analytics(session, ws, campaign_id, zone=zone, summary=live["s"])
        if phone and phone.strip():
            rows, next_after = campaigns.search_recipients(
                session, ws, campaign_id, phone, state=chosen, cursor=after, limit=PAGE
            )
        else:
            rows, last = campaigns.recipients_page(
                session,
                ws,
                campaign_id,
                state=chosen,
                after_id=decode_cursor(after) if after else None,
                limit=PAGE,
            )
            next_after = encode_cursor(last) if last else None
        # The unfiltered first page starts with the campaign's first recipient: the preview's.
        first = rows[0] if rows and not (chosen or after or (phone and phone.strip())) else None
        try:
            preview = templating.preview_out(
                live["c"], templating.preview(session, live["c"], row, first=first)
            )
        except NotFound:
            preview = None
    return render(
        request,
        sess,
        "campaign.html",
        **live,
        recipients=rows,
        next_after=next_after,
        state=chosen.value if chosen else "",
        phone=phone or "",
        after=after,
        removable=live["c"].state in ALLOWS_REMOVAL,
        removable_states=REMOVABLE,
        upload=upload,
        preview=preview,
        preview_row=row,
        stats=stats,
        series=stats.series[-1],
        hours=[(h.hour, h.sent, h.delivered, h.read) for h in stats.series[-1].hours],
        time_zone=str(zone) if zone else "",
        zone_problem=zone_problem,
    )


@router.get("/campaigns/{campaign_id}/analytics.csv")
def analytics_csv(
    sess: Session, ctx: Ctx, campaign_id: int, time_zone: str | None = None
) -> Response:
    """The per-hour series as CSV (the API's GET .../analytics.csv, for a dashboard session)."""
    zone = analytics.zone_named(time_zone)
    with ctx.db.read() as session:
        stats = analytics.campaign_analytics(
            session, sess.principal.workspace_id, campaign_id, zone=zone
        )
    name = f"campaign-{campaign_id}-hourly.csv"
    return Response(
        analytics.hourly_csv(stats),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/campaigns/{campaign_id}/export.csv")
def export_csv(sess: Session, ctx: Ctx, campaign_id: int) -> StreamingResponse:
    """Every recipient with its state, times, error and cost (the API's GET .../export.csv)."""
    with ctx.db.read() as session:
        campaigns.get(session, sess.principal.workspace_id, campaign_id)

    return StreamingResponse(
        export.stream(ctx.db, campaign_id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"'},
    )


@router.get("/campaigns/{campaign_id}/live", response_class=HTMLResponse)
def campaign_live(request: Request, sess: Session, ctx: Ctx, campaign_id: int) -> HTMLResponse:
    """The live block of the detail page, polled by the page (no reload)."""
    return render(request, sess, "campaign_live.html", **_live_values(ctx, sess, campaign_id))


def _retry(ctx: AppContext, ws: int, campaign_id: int, actor: str) -> int:
    with ctx.db.write() as session:
        child = retry.retry(
            session,
            ws,
            campaign_id,
            RetryRequest(),
            settings=ctx.settings,
            actor=actor,
            at=ctx.clock.now(),
        )
        return child.id


@router.post("/campaigns/{campaign_id}/retry")
async def retry_action(sess: AdminForm, ctx: Ctx, campaign_id: int) -> Response:
    """A follow-up campaign with the ERROR and DELIVERY_FAILED recipients (POST .../retry)."""
    try:
        child = await asyncio.to_thread(
            _retry, ctx, sess.principal.workspace_id, campaign_id, sess.principal.actor
        )
    except AppError as exc:
        return back(f"{PREFIX}/campaigns/{campaign_id}", f"Error: {exc.detail}")
    return back(
        f"{PREFIX}/campaigns/{child}",
        f"Follow-up campaign created from campaign {campaign_id}: start it when ready.",
    )


@router.post("/campaigns/{campaign_id}/{action}")
async def campaign_action(sess: AdminForm, ctx: Ctx, campaign_id: int, action: str) -> Response:
    page = f"{PREFIX}/campaigns/{campaign_id}"
    if action not in ("start", "pause", "resume", "end"):
        return back(page, f"Error: unknown action {action}")
    try:
        await asyncio.to_thread(
            _lifecycle, ctx, sess.principal.workspace_id, campaign_id, action, sess.principal.actor
        )
    except AppError as exc:
        return back(page, f"Error: {exc.detail}")
    past = {"start": "started", "pause": "paused", "resume": "resumed", "end": "ended"}[action]
    return back(page, f"Campaign {past}.")


@router.get("/campaigns/{campaign_id}/recipients/{recipient_id}", response_class=HTMLResponse)
def recipient_page(
    request: Request, sess: Session, ctx: Ctx, campaign_id: int, recipient_id: int
) -> HTMLResponse:
    ws = sess.principal.workspace_id
    with ctx.db.read() as session:
        campaign = campaigns.get(session, ws, campaign_id)
        recipient = campaigns.get_recipient(session, ws, campaign_id, recipient_id)
        history = campaigns.recipient_history(session, ws, campaign_id, recipient_id)
        replies = campaigns.replies_page(
            session, ws, campaign_id, recipient_id=recipient_id, cursor=None, limit=100
        ).items
    return render(
        request,
        sess,
        "recipient.html",
        c=campaign,
        r=recipient,
        history=history,
        replies=replies,
        removable=campaign.state in ALLOWS_REMOVAL and recipient.state in REMOVABLE,
    )


@router.get("/campaigns/{campaign_id}/replies", response_class=HTMLResponse)
def replies_tab(
    request: Request, sess: Session, ctx: Ctx, campaign_id: int, cursor: str | None = None
) -> HTMLResponse:
    """The campaign's Replies tab: every reply (a page at a time) and the taps per button."""
    ws = sess.principal.workspace_id
    with ctx.db.read() as session:
        campaign = campaigns.get(session, ws, campaign_id)
        page = campaigns.replies_page(
            session, ws, campaign_id, recipient_id=None, cursor=cursor, limit=PAGE
        )
        buttons = campaigns.button_counts(session, ws, campaign_id)
    return render(
        request,
        sess,
        "campaign_replies.html",
        c=campaign,
        replies=page.items,
        next_cursor=page.next_cursor,
        buttons=buttons,
    )


@router.post("/campaigns/{campaign_id}/recipients/{recipient_id}/remove")
def remove_recipient(sess: AdminForm, ctx: Ctx, campaign_id: int, recipient_id: int) -> Response:
    page = f"{PREFIX}/campaigns/{campaign_id}"
    try:
        with ctx.db.write() as session:
            campaigns.remove_recipient(
                session,
                sess.principal.workspace_id,
                campaign_id,
                recipient_id,
                actor=sess.principal.actor,
                at=ctx.clock.now(),
            )
    except AppError as exc:
        return back(page, f"Error: {exc.detail}")
    return back(page, f"Recipient {recipient_id} removed.")
