"""Contact actions on the dashboard's contacts page: resend an invitation, delete a contact
(agents and admins; every form carries the session's CSRF token)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from relaybird.api.deps import Ctx
from relaybird.contacts import service
from relaybird.contacts.invitations import InviteSettings
from relaybird.dashboard.web import PREFIX, AgentForm, back
from relaybird.errors import AppError
from relaybird.rooms import service as rooms

router = APIRouter()


@router.post("/contacts/{contact_id}/resend-invite")
def resend_invite(sess: AgentForm, ctx: Ctx, contact_id: int) -> Response:
    page = f"{PREFIX}/contacts"
    try:
        with ctx.db.write() as session:
            service.resend_invite(
                session,
                sess.principal.workspace_id,
                contact_id,
                actor=sess.principal.actor,
                at=ctx.clock.now(),
                invite_settings=InviteSettings.of(ctx.settings),
            )
    except AppError as exc:
        return back(page, f"Error: {exc.detail}")
    return back(page, f"Invitation resent to contact {contact_id}.")


@router.post("/contacts/{contact_id}/delete")
def delete_contact(sess: AgentForm, ctx: Ctx, contact_id: int) -> Response:
    page = f"{PREFIX}/contacts"
    try:
        with ctx.db.write() as session:
            rooms.delete_contact(
                session,
                sess.principal.workspace_id,
                contact_id,
                actor=sess.principal.actor,
                at=ctx.clock.now(),
            )
    except AppError as exc:
        return back(page, f"Error: {exc.detail}")
    return back(page, f"Contact {contact_id} deleted.")
