"""A contact as the API shows it (``ContactOut``, with its latest invitation's state): shared
by the contacts, Direct and CLI doors, so none of them imports another's routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from relaybird.auth.roles import Role
from relaybird.contacts import invitations, service, users
from relaybird.contacts.schemas import ContactOut, InvitationOut, UserOut
from relaybird.contacts.transitions import ContactStatus, Network
from relaybird.context import AppContext
from relaybird.models import Contact


def to_out(
    contact: Contact, invitation: service.InvitationState | None, now: datetime
) -> ContactOut:
    return ContactOut(
        id=contact.id,
        network=Network(contact.network),
        status=None if contact.status is None else ContactStatus(contact.status),
        first_name=contact.first_name,
        last_name=contact.last_name,
        company=contact.company,
        email=contact.email,
        phone=contact.phone,
        owner_user_id=contact.owner_user_id,
        invitation=None if invitation is None else _invitation(invitation, now),
        network_user_id=contact.network_user_id,
        tags=list(contact.tags or []),
        attributes=dict(contact.attributes or {}),
        unfollowed_at=contact.unfollowed_at,
        sms_consent=_sms_consent(contact),
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


def _sms_consent(contact: Contact) -> Literal["PENDING", "OPTED_IN", "OPTED_OUT"] | None:
    if contact.network != "SMS_DIRECT":
        return None
    if contact.unfollowed_at is not None:
        return "OPTED_OUT"
    if contact.sms_opt_in_at is not None:
        return "OPTED_IN"
    return "PENDING" if contact.sms_opt_in_requested_at is not None else None


def _invitation(found: service.InvitationState, now: datetime) -> InvitationOut:
    invitation = found.invitation
    return InvitationOut(
        state=invitations.state_of(invitation, now),
        delivery=found.delivery,
        delivery_error=found.delivery_error,
        queued_at=invitation.created_at,
        sent_at=invitation.sent_at,
        expires_at=invitation.expires_at,
        accepted_at=invitation.accepted_at,
    )


def latest(
    session: Session, ctx: AppContext, contact_ids: list[int]
) -> dict[int, service.InvitationState]:
    return service.latest_invitations(
        session, contact_ids, smtp_configured=bool(ctx.settings.smtp_url)
    )


def contact_out(session: Session, ctx: AppContext, contact: Contact) -> ContactOut:
    now = ctx.clock.now()
    return to_out(contact, latest(session, ctx, [contact.id]).get(contact.id), now)


def user_out(v: users.UserView) -> UserOut:
    u = v.user
    return UserOut(
        id=u.id,
        name=u.name,
        email=u.email,
        role=Role(u.role),
        active=u.active,
        virtual_numbers=v.virtual_numbers,
        forward_phone=u.forward_phone,
        forward_calls=u.forward_calls,
        created_at=u.created_at,
    )
