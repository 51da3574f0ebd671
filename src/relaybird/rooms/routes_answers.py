"""Answering a campaign reply over the API (rooms/answers.py): written and committed, then sent,
as every room message is (a crash in between leaves it PENDING for the ``rooms.sender`` loop)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, status

from relaybird.api.deps import Agent, Ctx
from relaybird.api.problems import PROBLEM_RESPONSES
from relaybird.rooms import answers, outbound, service
from relaybird.rooms.schemas import AnswerIn, AnswerOut, MessageOut

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=PROBLEM_RESPONSES)


@router.post(
    "/{campaign_id}/replies/{reply_id}/answer",
    response_model=AnswerOut,
    status_code=status.HTTP_201_CREATED,
    summary="Answer a reply",
    description="Sends `text` as a free-form WhatsApp message from the campaign's sender "
    "number to the number that replied, only inside the 24 h customer-service window counted "
    "from that number's last message to the sender (otherwise 409 `template_required`, with "
    "`closed_at` and `last_inbound_at`, and nothing is written). The answer is a message of "
    "the sender's room for that number (opened with its WhatsApp contact when there is none, "
    "without a welcome template; the reply is put in it too), so the conversation goes on "
    "there (`GET /rooms/{room_id}/messages`) and the answer's status comes back through the "
    "status webhooks like any room message's. 404 for a campaign of another workspace or a "
    "reply of another campaign; 422 for an empty or blank text, more than 4096 characters, or "
    "an unknown `user_id`. Agents and admins.",
)
async def answer_reply(
    campaign_id: int, reply_id: int, body: AnswerIn, principal: Agent, ctx: Ctx
) -> AnswerOut:
    def write() -> tuple[answers.Answer, int]:
        with ctx.db.write() as session:
            done = answers.answer_reply(
                session,
                ctx.settings,
                principal.workspace_id,
                campaign_id,
                reply_id,
                text=body.text,
                user_id=body.user_id,
                actor=principal.actor,
                now=ctx.clock.now(),
            )
            return done, done.message.id

    done, message_id = await asyncio.to_thread(write)
    await outbound.deliver_after_commit(ctx, [message_id])

    def reread() -> AnswerOut:
        with ctx.db.read() as session:
            message = service.get_message(session, principal.workspace_id, message_id)
            return AnswerOut(
                room_id=done.room.id,
                room_created=done.room_created,
                contact_id=done.contact.id,
                message=MessageOut.model_validate(message),
            )

    return await asyncio.to_thread(reread)
