"""The senders API (DESIGN.md §8): add a number, read its health, its history, sync it."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, status

from relaybird.api.deps import Admin, Ctx, ListWindow, ReadSession, Viewer
from relaybird.senders import detail, service, sync
from relaybird.senders.schemas import HistoryItem, SenderCreate, SenderDetail, SenderPage
from relaybird.senders.service import NewSender

router = APIRouter(prefix="/senders", tags=["senders"])


@router.post(
    "",
    response_model=SenderDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Add a sender number",
    description="Adds a WhatsApp Business number. The access token must own it: the number is "
    "read from the provider with that token first (422 when the provider refuses, 503 when it "
    "cannot answer; nothing is stored). It starts PENDING until a sync confirms the provider "
    "registered it. The access token is stored and never returned.",
)
async def add_sender(body: SenderCreate, principal: Admin, ctx: Ctx) -> SenderDetail:
    sender_id = await sync.add_proven(
        ctx,
        principal.workspace_id,
        NewSender(
            name=body.name,
            phone_number_id=body.phone_number_id,
            display_phone_number=body.display_phone_number,
            access_token=body.access_token.get_secret_value(),
            waba_id=body.waba_id,
            limit_model=body.limit_model,
            throughput_cap=body.throughput_cap,
        ),
        actor=principal.actor,
    )

    def read() -> SenderDetail:
        with ctx.db.read() as session:
            return detail.describe(session, principal.workspace_id, sender_id, ctx.clock.now())

    return await asyncio.to_thread(read)


@router.get(
    "",
    response_model=SenderPage,
    summary="List sender numbers",
    description="The workspace's numbers with status, quality and limit, oldest first.",
)
def list_senders(
    principal: Viewer,
    session: ReadSession,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
) -> SenderPage:
    return detail.listing(session, principal.workspace_id, cursor, limit)


@router.get(
    "/{sender_id}",
    response_model=SenderDetail,
    summary="A sender's health",
    description="Status, quality rating, messaging limit, usage of the moving 24 h window "
    "(used/limit), throughput, whether it may send now and why not, and the next scheduled "
    'lifecycle moment ("restricted until 14:05 UTC", "flagged: recovers or drops to TIER_1K on '
    '30 Nov").',
)
def get_sender(sender_id: int, principal: Viewer, session: ReadSession, ctx: Ctx) -> SenderDetail:
    return detail.describe(session, principal.workspace_id, sender_id, ctx.clock.now())


@router.get(
    "/{sender_id}/history",
    response_model=list[HistoryItem],
    summary="A sender's status history",
    description="Every status change: when, from, to, the event, who or what, and why.",
)
def get_history(
    sender_id: int, principal: Viewer, session: ReadSession, window: ListWindow
) -> list[HistoryItem]:
    rows = service.history_of(session, principal.workspace_id, sender_id, **window.bounds)
    return [HistoryItem.model_validate(r, from_attributes=True) for r in window.take(rows)]


@router.post(
    "/{sender_id}/sync",
    response_model=SenderDetail,
    summary="Read the number's fields from the provider now",
    description="Reads status, quality rating, messaging limit and throughput from the provider "
    "and applies them (PENDING → CONNECTED once registered). A provider failure answers 502.",
)
async def sync_sender(sender_id: int, principal: Admin, ctx: Ctx) -> SenderDetail:
    await sync.sync_sender(
        ctx, sender_id, actor=principal.actor, workspace_id=principal.workspace_id
    )

    def read() -> SenderDetail:
        with ctx.db.read() as session:
            return detail.describe(session, principal.workspace_id, sender_id, ctx.clock.now())

    return await asyncio.to_thread(read)
