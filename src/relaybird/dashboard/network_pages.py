"""Contacts (by network and status, invitation outbox, block lists) and rooms (members,
messages with delivery ticks, the customer-service window)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from relaybird.api.deps import Ctx
from relaybird.dashboard.web import Session, render
from relaybird.operations import directory

router = APIRouter()
PAGE = 50
# Delivery ticks as in the WhatsApp apps: sent ✓, delivered ✓✓, read ✓✓ in blue.
TICKS = {
    "PENDING": ("🕓", "pending"),
    "QUEUED": ("🕓", "pending"),
    "SENT": ("✓", "sent"),
    "DELIVERED": ("✓✓", "delivered"),
    "READ": ("✓✓", "read"),
    "FAILED": ("!", "failed"),
}


@router.get("/contacts", response_class=HTMLResponse)
def contact_page(
    request: Request,
    sess: Session,
    ctx: Ctx,
    network: str | None = None,
    status: str | None = None,
    after: int | None = None,
) -> HTMLResponse:
    ws = sess.principal.workspace_id
    with ctx.db.read() as session:
        matrix = directory.contact_matrix(session, ws)
        rows, last = directory.contacts(
            session, ws, network=network or None, status=status or None, after_id=after, limit=PAGE
        )
        invitations = directory.invitation_outbox(session, ws)
        blocked = directory.block_lists(session, ws)
        users = directory.users(session, ws)
    return render(
        request,
        sess,
        "contacts.html",
        matrix=matrix,
        contacts=rows,
        next_after=last,
        network=network or "",
        status=status or "",
        invitations=invitations,
        blocked=blocked,
        users=users,
        after=after,
    )


@router.get("/rooms", response_class=HTMLResponse)
def room_list(request: Request, sess: Session, ctx: Ctx) -> HTMLResponse:
    with ctx.db.read() as session:
        rooms = directory.rooms(session, sess.principal.workspace_id)
        users = directory.users(session, sess.principal.workspace_id)
    return render(request, sess, "rooms.html", rooms=rooms, users=users)


@router.get("/rooms/{room_id}", response_class=HTMLResponse)
def room_page(request: Request, sess: Session, ctx: Ctx, room_id: int) -> HTMLResponse:
    with ctx.db.read() as session:
        view = directory.room_view(session, sess.principal.workspace_id, room_id)
        users = directory.users(session, sess.principal.workspace_id)
    return render(request, sess, "room.html", v=view, users=users, now=ctx.clock.now(), ticks=TICKS)
