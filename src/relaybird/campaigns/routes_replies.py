"""A campaign's replies: the inbound messages linked to its recipients, per button, as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from relaybird.api.deps import Ctx, ReadSession, Viewer
from relaybird.campaigns import service
from relaybird.campaigns.export import cell
from relaybird.campaigns.schemas import ButtonCount, ReplyOut, ReplyPage
from relaybird.kit.pagination import MAX_LIMIT
from relaybird.kit.time import rfc3339

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get(
    "/{campaign_id}/replies",
    response_model=ReplyPage,
    summary="A campaign's replies",
    description="Inbound messages linked to its recipients (the message they quote, else the "
    "latest recipient on that number; either sent within `RELAYBIRD_CAMPAIGN_REPLY_WINDOW`, "
    "default 7 days, before the reply), oldest first; `recipient_id` narrows to one recipient. "
    "Every reply is kept; the campaign's `reply_count` counts each recipient's first. Answer "
    "one with `POST .../replies/{reply_id}/answer`.",
)
def list_replies(
    campaign_id: int,
    principal: Viewer,
    session: ReadSession,
    recipient_id: int | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> ReplyPage:
    page = service.replies_page(
        session,
        principal.workspace_id,
        campaign_id,
        recipient_id=recipient_id,
        cursor=cursor,
        limit=limit,
    )
    return ReplyPage(
        items=[ReplyOut.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{campaign_id}/replies/buttons",
    response_model=list[ButtonCount],
    summary="Buttons tapped in reply, counted per button",
    description="Template quick-reply buttons (`type: button`, by `payload`) and interactive "
    "reply buttons / list rows (`type: interactive`, by `id`) tapped in replies linked to the "
    "campaign: per button its label, taps and distinct recipients, most tapped first. 404 for "
    "a campaign of another workspace.",
)
def button_counts(campaign_id: int, principal: Viewer, session: ReadSession) -> list[ButtonCount]:
    return service.button_counts(session, principal.workspace_id, campaign_id)


@router.get(
    "/{campaign_id}/replies.csv",
    summary="Export the replies as CSV",
    description="recipient_id, phone, received_at, type, text, button; cells a spreadsheet "
    "would run as a formula are prefixed with `'`.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_replies(campaign_id: int, principal: Viewer, ctx: Ctx) -> StreamingResponse:
    with ctx.db.read() as session:
        service.get(session, principal.workspace_id, campaign_id)

    def body() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(("recipient_id", "phone", "received_at", "type", "text", "button"))
        with ctx.db.read() as session:
            for i, (reply, phone) in enumerate(service.reply_rows(session, campaign_id), 1):
                writer.writerow(
                    [
                        reply.recipient_id,
                        phone or "",
                        rfc3339(reply.received_at),
                        reply.type,
                        cell(reply.text or ""),
                        cell(reply.button or ""),
                    ]
                )
                if i % 1000 == 0:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
        yield out.getvalue()

    return StreamingResponse(
        body(),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-replies.csv"'
        },
    )
