"""Answering a campaign reply from the dashboard (the Replies tab and the recipient's page):
the same rule as the API (rooms/answers.py), committed then sent; the answer's room page
follows it (delivery ticks), an error comes back to the page it was posted from."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from relaybird.api.deps import Ctx
from relaybird.dashboard.web import PREFIX, AgentForm, back
from relaybird.errors import AppError
from relaybird.rooms import answers, outbound

router = APIRouter()


@router.post("/campaigns/{campaign_id}/replies/{reply_id}/answer")
async def answer_reply(
    sess: AgentForm,
    ctx: Ctx,
    campaign_id: int,
    reply_id: int,
    text: Annotated[str, Form()] = "",  # checked by answers.check_text (a flash, not a 422)
    recipient_id: Annotated[int | None, Form()] = None,
) -> Response:
    page = f"{PREFIX}/campaigns/{campaign_id}/" + (
        f"recipients/{recipient_id}" if recipient_id else "replies"
    )

    def write() -> tuple[int, int]:
        with ctx.db.write() as session:
            done = answers.answer_reply(
                session,
                ctx.settings,
                sess.principal.workspace_id,
                campaign_id,
                reply_id,
                text=text,
                user_id=None,
                actor=sess.principal.actor,
                now=ctx.clock.now(),
            )
            return done.room.id, done.message.id

    try:
        room_id, message_id = await asyncio.to_thread(write)
    except AppError as exc:
        return back(page, f"Error: {exc.detail}")
    await outbound.deliver_after_commit(ctx, [message_id])
    note = f"Answered reply {reply_id}: message {message_id} below, with its delivery status."
    return back(f"{PREFIX}/rooms/{room_id}", note)
