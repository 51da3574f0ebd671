"""The contacts API (DESIGN.md §8): create (and invite), list, read, edit, delete, history,
resend the invitation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from relaybird.api.deps import Agent, Ctx, ListWindow, ReadSession, Viewer, WriteSession
from relaybird.contacts import service
from relaybird.contacts.invitations import InviteSettings
from relaybird.contacts.params import ContactId
from relaybird.contacts.schemas import (
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactUpdate,
    HistoryItem,
    StatusFilter,
)
from relaybird.contacts.service import ContactDraft
from relaybird.contacts.transitions import Network
from relaybird.contacts.validation import ContactFields
from relaybird.contacts.views import contact_out, latest, to_out
from relaybird.kit.pagination import MAX_LIMIT

router = APIRouter(prefix="/contacts", tags=["contacts"])
# DELETE /contacts/{id} is rooms/routes.py's ``contacts_router``: deleting a contact takes it
# out of its rooms first, and rooms build on contacts (contacts never import rooms).


@router.post(
    "",
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create (onboard) a contact",
    description="Validates the fields the network needs (see the README's contacts section) and "
    "creates the contact with its first status: WeChat and LINE contacts (and WhatsApp ones "
    "with `invite: true`) get an invitation e-mail queued, and become PENDING_CONFIRMATION when "
    "it is sent (no status until then; see `invitation`); SMS_DIRECT contacts are CONFIRMED; "
    "WhatsApp and WhatsApp-Direct contacts have no status. A contact "
    "with the same phone (or, on WeChat/LINE, e-mail) on the same network answers 409.",
)
def create_contact(
    body: ContactCreate, principal: Agent, session: WriteSession, ctx: Ctx
) -> ContactOut:
    now = ctx.clock.now()
    contact = service.create_contact(
        session,
        principal.workspace_id,
        ContactDraft(
            network=body.network,
            owner_user_id=body.owner_user_id,
            fields=ContactFields(
                first_name=body.first_name,
                last_name=body.last_name,
                company=body.company,
                email=body.email,
                phone=body.phone,
            ),
            invite=body.invite,
        ),
        actor=principal.actor,
        at=now,
        invite_settings=InviteSettings.of(ctx.settings),
        region=ctx.settings.default_region,
    )
    return contact_out(session, ctx, contact)


@router.get(
    "",
    response_model=ContactPage,
    summary="List contacts",
    description="Oldest first, filtered by network and status (`NONE`: no status). A status the "
    "network can never take (e.g. WECHAT + CONFIRMED) answers 422.",
)
def list_contacts(
    principal: Viewer,
    session: ReadSession,
    ctx: Ctx,
    network: Annotated[Network | None, Query(description="Only this network.")] = None,
    status: Annotated[StatusFilter | None, Query(description="Only this status; NONE.")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
) -> ContactPage:
    page = service.list_contacts(
        session,
        principal.workspace_id,
        network=network,
        status=None if status is None else status.value,
        cursor=cursor,
        limit=limit,
    )
    found = latest(session, ctx, [c.id for c in page.items])
    now = ctx.clock.now()
    return ContactPage(
        items=[to_out(c, found.get(c.id), now) for c in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{contact_id}", response_model=ContactOut, summary="One contact")
def get_contact(
    contact_id: ContactId, principal: Viewer, session: ReadSession, ctx: Ctx
) -> ContactOut:
    contact = service.get_contact(session, principal.workspace_id, contact_id)
    return contact_out(session, ctx, contact)


@router.patch(
    "/{contact_id}",
    response_model=ContactOut,
    summary="Edit a contact",
    description="Names, company, e-mail, owner, `tags` (replaced) and `attributes` (merged; a "
    "null value removes one): what segments select on. The network and phone never change "
    "(delete and create again). The status does not move here.",
)
def update_contact(
    contact_id: ContactId, body: ContactUpdate, principal: Agent, session: WriteSession, ctx: Ctx
) -> ContactOut:
    now = ctx.clock.now()
    contact = service.update_contact(
        session,
        principal.workspace_id,
        contact_id,
        body.model_dump(exclude_unset=True),
        actor=principal.actor,
        at=now,
        region=ctx.settings.default_region,
    )
    return contact_out(session, ctx, contact)


@router.get(
    "/{contact_id}/history",
    response_model=list[HistoryItem],
    summary="A contact's status history",
    description="Every status change, oldest first, starting with its creation.",
)
def contact_history(
    contact_id: ContactId, principal: Viewer, session: ReadSession, window: ListWindow
) -> list[HistoryItem]:
    rows = service.history_of(session, principal.workspace_id, contact_id, **window.bounds)
    return [HistoryItem.model_validate(r) for r in window.take(rows)]


@router.post(
    "/{contact_id}/resend-invite",
    response_model=ContactOut,
    summary="Resend the invitation",
    description="Queues an e-mail with a new code (the previous link stops working, and its "
    "e-mail is withdrawn if it had not left). When it is sent the contact becomes "
    "PENDING_CONFIRMATION (also from INVITE_EXPIRED) and the expiry counts anew. 409 when the "
    "contact already validated its invitation, or on a network without invitations.",
)
def resend_invite(
    contact_id: ContactId, principal: Agent, session: WriteSession, ctx: Ctx
) -> ContactOut:
    now = ctx.clock.now()
    contact = service.resend_invite(
        session,
        principal.workspace_id,
        contact_id,
        actor=principal.actor,
        at=now,
        invite_settings=InviteSettings.of(ctx.settings),
    )
    return contact_out(session, ctx, contact)
