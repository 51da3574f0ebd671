"""The users API (DESIGN.md §8): agents who own contacts and rooms, with their second (virtual)
number per Direct network. Block lists live beside it in the Direct-networks module."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from relaybird.api.deps import Admin, Ctx, ReadSession, Viewer, WriteSession
from relaybird.contacts import users
from relaybird.contacts.params import UserId
from relaybird.contacts.schemas import (
    DirectNetwork,
    ForwardingSet,
    UserCreate,
    UserOut,
    UserPage,
    VirtualNumberSet,
)
from relaybird.contacts.transitions import DIRECT_NETWORKS, Network
from relaybird.contacts.views import user_out
from relaybird.kit.pagination import MAX_LIMIT

router = APIRouter(prefix="/users", tags=["users"])


@router.post(
    "",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (agent)",
    description="`virtual_number` gives the user that second number on both Direct networks; "
    "`virtual_numbers` sets one per network. A number belongs to one user per network (409).",
)
def create_user(body: UserCreate, principal: Admin, session: WriteSession, ctx: Ctx) -> UserOut:
    numbers: dict[Network, str] = {}
    if body.virtual_number is not None:
        numbers = {n: body.virtual_number for n in sorted(DIRECT_NETWORKS)}
    numbers.update({Network(k.value): v for k, v in (body.virtual_numbers or {}).items()})
    view = users.create_user(
        session,
        principal.workspace_id,
        name=body.name,
        email=body.email,
        role=body.role,
        virtual_numbers=numbers,
        at=ctx.clock.now(),
        region=ctx.settings.default_region,
    )
    return user_out(view)


@router.get("", response_model=UserPage, summary="List users")
def list_users(
    principal: Viewer,
    session: ReadSession,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
) -> UserPage:
    page = users.list_users(session, principal.workspace_id, cursor=cursor, limit=limit)
    return UserPage(items=[user_out(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/{user_id}", response_model=UserOut, summary="One user with their virtual numbers")
def get_user(user_id: UserId, principal: Viewer, session: ReadSession) -> UserOut:
    return user_out(users.view(session, principal.workspace_id, user_id))


@router.put(
    "/{user_id}/virtual-numbers/{network}",
    response_model=UserOut,
    summary="Set the user's virtual number on a Direct network",
    description="Replaces the user's number on that network. 409 when another user has it.",
)
def set_virtual_number(
    user_id: UserId,
    network: DirectNetwork,
    body: VirtualNumberSet,
    principal: Admin,
    session: WriteSession,
    ctx: Ctx,
) -> UserOut:
    view = users.set_virtual_number(
        session,
        principal.workspace_id,
        user_id,
        Network(network.value),
        body.phone,
        at=ctx.clock.now(),
        region=ctx.settings.default_region,
    )
    return user_out(view)


@router.delete(
    "/{user_id}/virtual-numbers/{network}",
    response_model=UserOut,
    summary="Clear the user's virtual number on a Direct network",
)
def clear_virtual_number(
    user_id: UserId, network: DirectNetwork, principal: Admin, session: WriteSession, ctx: Ctx
) -> UserOut:
    view = users.clear_virtual_number(
        session, principal.workspace_id, user_id, Network(network.value), at=ctx.clock.now()
    )
    return user_out(view)


@router.put(
    "/{user_id}/call-forwarding",
    response_model=UserOut,
    summary="Forward calls to the user's own phone",
    description="Sets the user's own phone (validated, stored as E.164) and whether a call to "
    "their SMS & Voice Direct virtual number is forwarded there (Twilio answers it with "
    '`<Dial callerId="{virtual number}">`) or answered with the connector\'s spoken '
    "`call_message`. A call from a blocked number is never forwarded. Not a valid phone, or "
    "`forward_calls` true with no phone → 422, nothing changed.",
)
def set_call_forwarding(
    user_id: UserId, body: ForwardingSet, principal: Admin, session: WriteSession, ctx: Ctx
) -> UserOut:
    view = users.set_forwarding(
        session,
        principal.workspace_id,
        user_id,
        phone=body.phone,
        forward_calls=body.forward_calls,
        at=ctx.clock.now(),
        region=ctx.settings.default_region,
    )
    return user_out(view)


@router.delete(
    "/{user_id}/call-forwarding",
    response_model=UserOut,
    summary="Stop forwarding calls and forget the user's own phone",
)
def clear_call_forwarding(
    user_id: UserId, principal: Admin, session: WriteSession, ctx: Ctx
) -> UserOut:
    view = users.clear_forwarding(session, principal.workspace_id, user_id, at=ctx.clock.now())
    return user_out(view)
