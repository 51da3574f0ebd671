"""The rooms API (DESIGN.md §2.4, §8): rooms, members, contacts, messages.

Writes that queue an outbound message (adding a contact queues its welcome; posting a message)
commit first and only then call the provider (``outbound.deliver``), so a crash between the two
leaves a PENDING message for the ``rooms.sender`` loop, never a message sent twice.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from relaybird.api.deps import Agent, Ctx, ReadSession, Viewer, WriteSession
from relaybird.api.problems import PROBLEM_RESPONSES
from relaybird.contacts.params import ContactId
from relaybird.contacts.transitions import Network
from relaybird.kit.pagination import decode_cursor, encode_cursor
from relaybird.rooms import messages, outbound, service
from relaybird.rooms.schemas import (
    ContactAdd,
    MemberAdd,
    MessageCreate,
    MessageOut,
    MessagePage,
    RoomCreate,
    RoomOut,
    RoomPage,
)
from relaybird.rooms.transitions import RoomStatus

router = APIRouter(prefix="/rooms", tags=["rooms"], responses=PROBLEM_RESPONSES)
# Deleting a contact takes it out of its rooms first: the door sits with rooms, which build on
# contacts (contacts never import rooms). Mounted beside the contacts API.
contacts_router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.post(
    "",
    response_model=RoomOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a room",
    description="A room belongs to its owner (a user, who is also its first member) and holds "
    "contacts of one network. WhatsApp rooms need `sender_id`. A new room is ACTIVE.",
)
def create_room(body: RoomCreate, principal: Agent, ctx: Ctx) -> RoomOut:
    with ctx.db.write() as session:
        room = service.create_room(
            session,
            principal.workspace_id,
            name=body.name,
            network=body.network,
            owner_user_id=body.owner_user_id,
            sender_id=body.sender_id,
            actor=principal.actor,
            now=ctx.clock.now(),
        )
        return RoomOut.of(service.view(session, room))


@router.get("", response_model=RoomPage, summary="List rooms", description="Oldest first.")
def list_rooms(
    principal: Viewer,
    session: ReadSession,
    network: Annotated[Network | None, Query()] = None,
    room_status: Annotated[RoomStatus | None, Query(alias="status")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RoomPage:
    views, last = service.list_rooms(
        session,
        principal.workspace_id,
        after_id=decode_cursor(cursor) if cursor else None,
        limit=limit,
        network=network.value if network else None,
        status=room_status.value if room_status else None,
    )
    return RoomPage(
        items=[RoomOut.of(v) for v in views], next_cursor=encode_cursor(last) if last else None
    )


@router.get("/{room_id}", response_model=RoomOut, summary="A room with members and contacts")
def get_room(room_id: int, principal: Viewer, session: ReadSession) -> RoomOut:
    return RoomOut.of(
        service.view(session, service.get_room(session, principal.workspace_id, room_id))
    )


@router.post(
    "/{room_id}/members",
    response_model=RoomOut,
    summary="Add a user to the room",
    description="Idempotent: adding a member twice changes nothing.",
)
def add_member(room_id: int, body: MemberAdd, principal: Agent, ctx: Ctx) -> RoomOut:
    with ctx.db.write() as session:
        room = service.get_room(session, principal.workspace_id, room_id, lock=True)
        service.add_member(session, room, body.user_id, now=ctx.clock.now())
        return RoomOut.of(service.view(session, room))


@router.delete(
    "/{room_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a user from the room",
    description="The owner cannot be removed (422).",
)
def remove_member(room_id: int, user_id: int, principal: Agent, ctx: Ctx) -> None:
    with ctx.db.write() as session:
        room = service.get_room(session, principal.workspace_id, room_id, lock=True)
        service.remove_member(session, room, user_id)


@router.post(
    "/{room_id}/contacts",
    response_model=RoomOut,
    summary="Add a contact to the room",
    description="The contact must be on the room's network (else 409 `room_network_mismatch`). "
    "Adding a WhatsApp contact sends the welcome template (RELAYBIRD_WELCOME_TEMPLATE) from the "
    "room's sender: `sent`/`delivered` makes the contact CONFIRMED; `failed` with 131026 makes "
    "it UNAVAILABLE and posts a system message; a transient error is retried with backoff "
    "(RELAYBIRD_MAX_ATTEMPTS). Adding the contact again sends a new probe when the last one "
    "failed without a verdict. An UNAVAILABLE contact can be added again but is not probed "
    "again (only deleting and re-creating it clears the status). Direct contacts "
    "get the welcome message. A DEACTIVATED room becomes ACTIVE or LIMITED again.",
)
async def add_contact(room_id: int, body: ContactAdd, principal: Agent, ctx: Ctx) -> RoomOut:
    def write() -> tuple[RoomOut, list[int]]:
        with ctx.db.write() as session:
            room = service.get_room(session, principal.workspace_id, room_id, lock=True)
            _, welcome = service.add_contact(
                session,
                ctx.settings,
                room,
                body.contact_id,
                actor=principal.actor,
                now=ctx.clock.now(),
            )
            return RoomOut.of(service.view(session, room)), [welcome.id] if welcome else []

    out, queued = await asyncio.to_thread(write)
    await outbound.deliver_after_commit(ctx, queued)
    return out


@router.delete(
    "/{room_id}/contacts/{contact_id}",
    response_model=RoomOut,
    summary="Remove a contact from the room",
    description="Removing the last contact makes the room DEACTIVATED.",
)
def remove_contact(room_id: int, contact_id: int, principal: Agent, ctx: Ctx) -> RoomOut:
    with ctx.db.write() as session:
        room = service.get_room(session, principal.workspace_id, room_id, lock=True)
        service.remove_contact(
            session, room, contact_id, actor=principal.actor, now=ctx.clock.now()
        )
        return RoomOut.of(service.view(session, room))


@router.get(
    "/{room_id}/messages",
    response_model=MessagePage,
    summary="The room's messages, oldest first",
    description="Out, in and system messages with their status. Messages HELD from a blocked "
    "number are not part of the room; `include_held=true` shows them.",
)
def list_messages(
    room_id: int,
    principal: Viewer,
    session: ReadSession,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    include_held: bool = False,
) -> MessagePage:
    room = service.get_room(session, principal.workspace_id, room_id)
    rows, last = service.list_messages(
        session,
        room,
        after_id=decode_cursor(cursor) if cursor else None,
        limit=limit,
        include_held=include_held,
    )
    return MessagePage(
        items=[MessageOut.model_validate(m) for m in rows],
        next_cursor=encode_cursor(last) if last else None,
    )


@router.post(
    "/{room_id}/messages",
    response_model=MessagePage,
    status_code=status.HTTP_201_CREATED,
    summary="Send a message to the room's contacts",
    description="One message per reachable contact (UNAVAILABLE and BLOCKED contacts are "
    "skipped), each with its own status. `text` is free-form: on WhatsApp and WhatsApp Direct "
    "it is only allowed while every addressed contact's 24 h customer-service window is open "
    "(opened by the contact's last inbound message); otherwise 409 `template_required` and "
    "nothing is sent. On WeChat the window is 48 h (opened by a message, follow or QR scan); "
    "outside it 409 `contact_must_write_first`: WeChat has no templates, the contact must "
    "write to the Official Account first. `template` sends an approved WhatsApp template, "
    "allowed at any time. SMS & Voice Direct, LINE and WeChat messages go out through the "
    "workspace's connector of that network (without one they are FAILED, never pretended "
    "sent); WhatsApp Direct through the user's own Cloud API number.",
)
async def post_message(
    room_id: int, body: MessageCreate, principal: Agent, ctx: Ctx
) -> MessagePage:
    template = (
        messages.Template(
            body.template.name, body.template.language, tuple(body.template.body_params)
        )
        if body.template
        else None
    )

    def write() -> list[int]:
        with ctx.db.write() as session:
            room = service.get_room(session, principal.workspace_id, room_id, lock=True)
            rows = messages.post_outbound(
                session,
                room,
                text=body.text,
                template=template,
                author_user_id=None,
                actor=principal.actor,
                now=ctx.clock.now(),
            )
            return [m.id for m in rows]

    ids = await asyncio.to_thread(write)
    await outbound.deliver_after_commit(ctx, ids)

    def read(session: Session) -> MessagePage:
        rows = [service.get_message(session, principal.workspace_id, i) for i in ids]
        return MessagePage(items=[MessageOut.model_validate(m) for m in rows], next_cursor=None)

    def reread() -> MessagePage:
        with ctx.db.read() as session:
            return read(session)

    return await asyncio.to_thread(reread)


@contacts_router.delete(
    "/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a contact",
    description="Removes the contact, its invitations and its room memberships. Deleting and "
    "creating again is the only way to clear a WhatsApp contact's UNAVAILABLE.",
)
def delete_contact(
    contact_id: ContactId, principal: Agent, session: WriteSession, ctx: Ctx
) -> None:
    service.delete_contact(
        session, principal.workspace_id, contact_id, actor=principal.actor, at=ctx.clock.now()
    )
