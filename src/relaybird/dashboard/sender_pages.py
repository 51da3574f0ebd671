"""Sender pages: health at a glance (status, quality, limit gauge, throughput, countdowns), each
sender's status timeline, and the admin actions (add a number, sync it with the provider)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from relaybird.api.deps import Ctx
from relaybird.config import LimitModel
from relaybird.dashboard.web import PREFIX, AdminForm, Session, back, render
from relaybird.errors import AppError
from relaybird.events.transitions import history
from relaybird.inbox import refusals
from relaybird.operations import service as ops
from relaybird.senders import detail, sync
from relaybird.senders import service as senders

router = APIRouter()
TIMELINE_SPAN = timedelta(days=14)


@router.get("/senders", response_class=HTMLResponse)
def sender_list(request: Request, sess: Session, ctx: Ctx) -> HTMLResponse:
    ws = sess.principal.workspace_id
    now = ctx.clock.now()
    since = now - TIMELINE_SPAN
    rows = []
    with ctx.db.read() as session:
        for h in ops.sender_health(session, now, ws):
            moves = history(session, "sender", h.sender.id, ws)
            segments = ops.status_segments(
                moves, h.sender.status, since, now, born=h.sender.created_at
            )
            described = detail.describe(session, ws, h.sender.id, now)
            rows.append((h, described, segments, segments[0][0]))
        refused = refusals.recent(session, now)
    return render(
        request,
        sess,
        "senders.html",
        rows=rows,
        now=now,
        models=[m.value for m in LimitModel],
        refused=refused,
    )


@router.get("/senders/{sender_id}", response_class=HTMLResponse)
def sender_page(request: Request, sess: Session, ctx: Ctx, sender_id: int) -> HTMLResponse:
    ws = sess.principal.workspace_id
    now = ctx.clock.now()
    since = now - TIMELINE_SPAN
    with ctx.db.read() as session:
        health = ops.sender_detail(session, ws, sender_id, now)
        described = detail.describe(session, ws, sender_id, now)
        moves = history(session, "sender", sender_id, ws)
        active = [s for s in ops.active_campaigns(session, ws) if s.campaign.sender_id == sender_id]
    segments = ops.status_segments(
        moves, health.sender.status, since, now, born=health.sender.created_at
    )
    return render(
        request,
        sess,
        "sender.html",
        h=health,
        s=health.sender,
        d=described,
        moves=list(reversed(moves)),
        now=now,
        segments=segments,
        start=segments[0][0],
        active=active,
    )


@router.post("/senders")
async def add_sender(
    sess: AdminForm,
    ctx: Ctx,
    name: Annotated[str, Form()],
    phone_number_id: Annotated[str, Form()],
    display_phone_number: Annotated[str, Form()],
    access_token: Annotated[str, Form()],
    waba_id: Annotated[str, Form()] = "",
    limit_model: Annotated[str, Form()] = "",
) -> Response:
    page = f"{PREFIX}/senders"
    try:
        model = LimitModel(limit_model) if limit_model else None
        sender_id = await sync.add_proven(
            ctx,
            sess.principal.workspace_id,
            senders.NewSender(
                name=name.strip(),
                phone_number_id=phone_number_id.strip(),
                display_phone_number=display_phone_number.strip(),
                access_token=access_token.strip(),
                waba_id=waba_id.strip() or None,
                limit_model=model,
            ),
            actor=sess.principal.actor,
        )
    except ValueError:
        return back(page, f"Error: unknown limit model {limit_model!r}")
    except AppError as exc:
        return back(page, f"Error: {exc.detail}")
    return back(f"{page}/{sender_id}", f"Sender {name.strip()} added; sync it to confirm it.")


@router.post("/senders/{sender_id}/sync")
async def sync_sender(sess: AdminForm, ctx: Ctx, sender_id: int) -> Response:
    page = f"{PREFIX}/senders/{sender_id}"
    try:
        await sync.sync_sender(
            ctx, sender_id, actor=sess.principal.actor, workspace_id=sess.principal.workspace_id
        )
    except AppError as exc:
        return back(page, f"Error: {exc.detail}")
    return back(page, "Synced with the provider.")
