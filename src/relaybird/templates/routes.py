"""The templates API: the catalogue per WhatsApp Business Account (list, one with its slots, its
history), the on-demand sync, and header media uploads."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from relaybird.api.deps import Admin, Ctx, ListWindow, ReadSession, Viewer
from relaybird.errors import PayloadTooLarge
from relaybird.templates import media, service, sync
from relaybird.templates.schemas import (
    MediaOut,
    MediaPage,
    SyncOut,
    TemplateDetail,
    TemplateHistoryItem,
    TemplateOut,
    TemplatePage,
)
from relaybird.templates.transitions import TemplateStatus

router = APIRouter(prefix="/templates", tags=["templates"])
sender_router = APIRouter(prefix="/senders", tags=["templates"])


@router.get(
    "",
    response_model=TemplatePage,
    summary="List message templates",
    description="The workspace's WhatsApp templates, one item per (name, language) variant, as "
    "Meta last reported them (catalogue sync or webhook), oldest first. `sender_id` narrows "
    "the list to that number's business account. Templates Meta no longer lists stay, DELETED.",
)
def list_templates(
    principal: Viewer,
    session: ReadSession,
    sender_id: Annotated[
        int | None, Query(gt=0, description="Only the catalogue of this sender's account.")
    ] = None,
    status: Annotated[TemplateStatus | None, Query(description="Only this status.")] = None,
    name: Annotated[
        str | None, Query(min_length=1, max_length=512, description="Name contains this.")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
) -> TemplatePage:
    page = service.list_templates(
        session,
        principal.workspace_id,
        sender_id=sender_id,
        status=status,
        name=name,
        cursor=cursor,
        limit=limit,
    )
    return TemplatePage(items=[TemplateOut.of(t) for t in page.items], next_cursor=page.next_cursor)


@router.get(
    "/{template_id}",
    response_model=TemplateDetail,
    summary="A template with its parameter slots",
    description="Status (with Meta's reason: pause title and end, rejection reason), quality, "
    "category (and a recategorisation Meta announced), the components as Meta returned them, "
    "and the slots a campaign must fill: the header (text parameter, or image / video / "
    "document / location), body parameters ({{1}} positional or {{first_name}} named) and "
    "buttons taking a value (URL suffix, quick-reply payload, copy code, flow token), with "
    "Meta's example values.",
)
def get_template(template_id: int, principal: Viewer, session: ReadSession) -> TemplateDetail:
    template = service.get_template(session, principal.workspace_id, template_id)
    return TemplateDetail.of_template(template, service.slots_of(template))


@router.get(
    "/{template_id}/history",
    response_model=list[TemplateHistoryItem],
    summary="A template's history",
    description="Every change of its status, quality score and category: when, from, to, the "
    "event (Meta's, lower-case: paused, approved, quality_red, recategorised, ...), by what "
    "(webhook, sync) and Meta's reason.",
)
def get_history(
    template_id: int, principal: Viewer, session: ReadSession, window: ListWindow
) -> list[TemplateHistoryItem]:
    rows = service.history_of(session, principal.workspace_id, template_id, **window.bounds)
    return [TemplateHistoryItem.of(r) for r in window.take(rows)]


@sender_router.post(
    "/{sender_id}/templates/sync",
    response_model=SyncOut,
    summary="Read the sender's template catalogue from Meta now",
    description="Reads every template of the sender's WhatsApp Business Account "
    "(GET /{waba-id}/message_templates, all pages) and applies it: new templates appear, "
    "status/quality/category changes are recorded in their history, templates Meta no longer "
    "lists become DELETED. The sender needs a waba_id (422 otherwise; 422 too when Meta "
    "knows no such account readable with the sender's token). A provider failure "
    "answers 502 and changes nothing. The scheduler does the same for every account each "
    "RELAYBIRD_TEMPLATE_SYNC_INTERVAL.",
)
async def sync_templates(sender_id: int, principal: Admin, ctx: Ctx) -> SyncOut:
    result = await sync.sync_sender_templates(
        ctx, principal.workspace_id, sender_id, actor=principal.actor
    )
    return SyncOut(
        waba_id=result.waba_id,
        total=result.total,
        created=result.created,
        updated=result.updated,
        moved=result.moved,
        deleted=result.deleted,
        skipped=result.skipped,
    )


@sender_router.post(
    "/{sender_id}/media",
    response_model=MediaOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a header image, video or document once",
    description="Uploads the file to Meta through the number (POST /{phone-number-id}/media) "
    "and stores the returned media id for reuse in every send of a campaign (a header's "
    "`media_id`). Meta's limits are checked first: image JPEG/PNG ≤ 5 MB, video MP4/3GPP ≤ "
    "16 MB, audio ≤ 16 MB, documents (text, PDF, Office) ≤ 100 MB, stickers WebP ≤ 500 KB, and "
    "the bytes must be of the declared type (422/413 otherwise). The same bytes uploaded again "
    "within Meta's 30 days reuse the stored id (`reused: true`, 201 all the same).",
)
async def upload_media(
    sender_id: int,
    principal: Admin,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="The media file, with its MIME type.")],
) -> MediaOut:
    data = await asyncio.to_thread(file.file.read, media.MAX_UPLOAD + 1)
    if len(data) > media.MAX_UPLOAD:
        raise PayloadTooLarge(f"media files are at most {media.MAX_UPLOAD // media.MB} MB at Meta")
    asset, reused = await media.upload_media(
        ctx,
        principal.workspace_id,
        sender_id,
        data,
        file.content_type or "application/octet-stream",
        file.filename or "media",
    )
    return MediaOut.of(asset, reused)


@sender_router.get(
    "/{sender_id}/media",
    response_model=MediaPage,
    summary="Media uploaded through a sender",
    description="Every upload with its Meta media id and when Meta forgets it (30 days).",
)
def list_media(
    sender_id: int,
    principal: Viewer,
    session: ReadSession,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
) -> MediaPage:
    page = media.list_media(session, principal.workspace_id, sender_id, cursor=cursor, limit=limit)
    return MediaPage(items=[MediaOut.of(a) for a in page.items], next_cursor=page.next_cursor)
