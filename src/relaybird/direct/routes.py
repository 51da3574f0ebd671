"""Direct-network doors: a user's block list, and onboarding or unblocking an auto-onboarded
contact (DESIGN.md §8: /users/{id}/blocked-numbers, /contacts/{id}/onboard|unblock)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from relaybird.api.deps import Agent, Ctx, ListWindow, ReadSession, Viewer
from relaybird.api.problems import PROBLEM_RESPONSES
from relaybird.contacts.schemas import ContactOut
from relaybird.contacts.validation import ContactFields
from relaybird.contacts.views import contact_out
from relaybird.context import AppContext
from relaybird.direct import service as direct
from relaybird.direct.schemas import BlockCreate, BlockedOut, MovedOut, OnboardBody
from relaybird.rooms import outbound

log = logging.getLogger("relaybird.contacts")

router = APIRouter(tags=["direct networks"])

# Onboard and unblock: the 409 covers both "not from this status" and "not on this network".
_MOVE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {
        **PROBLEM_RESPONSES[409],
        "description": "The contact's status does not allow it (`illegal_transition`), or its "
        "network is not SMS_DIRECT / WHATSAPP_DIRECT (`action_not_on_network`)",
    }
}


@router.post(
    "/users/{user_id}/blocked-numbers",
    response_model=BlockedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Put a number on a user's block list",
    description="Messages and calls from it to the user's virtual numbers are then held: an "
    "unknown caller becomes a BLOCKED contact instead of INCOMPLETE. 409 if already listed.",
)
def block_number(user_id: int, body: BlockCreate, principal: Agent, ctx: Ctx) -> BlockedOut:
    with ctx.db.write() as session:
        entry = direct.block_number(
            session,
            principal.workspace_id,
            user_id,
            phone=body.phone,
            reason=body.reason.value,
            comment=body.comment,
            region=ctx.settings.default_region,
            now=ctx.clock.now(),
        )
        return BlockedOut.model_validate(entry)


@router.get(
    "/users/{user_id}/blocked-numbers",
    response_model=list[BlockedOut],
    summary="A user's block list",
)
def list_blocked(
    user_id: int, principal: Viewer, session: ReadSession, window: ListWindow
) -> list[BlockedOut]:
    rows = direct.blocked_numbers(session, principal.workspace_id, user_id, **window.bounds)
    return [BlockedOut.model_validate(r) for r in window.take(rows)]


@router.delete(
    "/users/{user_id}/blocked-numbers/{phone}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a number off a user's block list",
    description="Future messages are no longer held. A contact already BLOCKED stays BLOCKED "
    "until `POST /contacts/{id}/unblock` or `/onboard`.",
)
def unblock_number(user_id: int, phone: str, principal: Agent, ctx: Ctx) -> None:
    with ctx.db.write() as session:
        direct.unblock_number(
            session,
            principal.workspace_id,
            user_id,
            phone,
            region=ctx.settings.default_region,
            now=ctx.clock.now(),
        )


async def _move(ctx: AppContext, move: Callable[[Session], direct.Moved]) -> MovedOut:
    """Onboard and unblock alike: the move in one transaction (answered with the contact as it
    is after it), then the welcome queued for the contact sent after the commit."""

    def write() -> tuple[direct.Moved, ContactOut]:
        with ctx.db.write() as session:
            moved = move(session)
            return moved, contact_out(session, ctx, moved.contact)

    moved, out = await asyncio.to_thread(write)
    if moved.queued:
        try:
            await outbound.deliver(ctx, moved.queued)
        except Exception:
            log.exception("sending the welcome after commit failed; the loop will retry")
    return MovedOut(contact=out, released_messages=moved.released)


@router.post(
    "/contacts/{contact_id}/onboard",
    response_model=MovedOut,
    summary="Complete an auto-onboarded Direct contact's profile",
    description="For INCOMPLETE or BLOCKED SMS_DIRECT / WHATSAPP_DIRECT contacts: sets the "
    "names, company and e-mail (validated as for a new contact) and moves it to CONFIRMED "
    "(SMS-Direct) or no status (WhatsApp-Direct). The number leaves the owner's block list, "
    "held messages are delivered to their rooms and the welcome message is sent if it never "
    "was. Any other status, or a contact of another network: 409.",
    responses=_MOVE_RESPONSES,
)
async def onboard(contact_id: int, body: OnboardBody, principal: Agent, ctx: Ctx) -> MovedOut:
    fields = ContactFields(
        first_name=body.first_name, last_name=body.last_name, company=body.company, email=body.email
    )
    return await _move(
        ctx,
        lambda session: direct.onboard(
            session,
            ctx.settings,
            principal.workspace_id,
            contact_id,
            fields,
            actor=principal.actor,
            now=ctx.clock.now(),
        ),
    )


@router.post(
    "/contacts/{contact_id}/unblock",
    response_model=MovedOut,
    summary="Unblock a BLOCKED Direct contact",
    description="BLOCKED → INCOMPLETE: the number leaves the owner's block list, held messages "
    "are delivered to their rooms, and the welcome message is sent. Any other status, or a "
    "contact of another network: 409.",
    responses=_MOVE_RESPONSES,
)
async def unblock(contact_id: int, principal: Agent, ctx: Ctx) -> MovedOut:
    return await _move(
        ctx,
        lambda session: direct.unblock(
            session,
            ctx.settings,
            principal.workspace_id,
            contact_id,
            actor=principal.actor,
            now=ctx.clock.now(),
        ),
    )
