"""What the welcome probe's outcome means for the contact (seed 000, DESIGN.md §2.3):
`sent`/`delivered`/`read` → CONFIRMED; `failed` 131026 → UNAVAILABLE (sticky) and a system
message in the room saying why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.contacts import service as contacts
from relaybird.contacts.transitions import ContactEvent
from relaybird.models import Contact, RoomMessage
from relaybird.rooms import messages, repository

# The Cloud API's "message undeliverable" (campaigns/statuses.py reads it the same way).
NOT_ON_WHATSAPP = 131026

NOT_ON_WHATSAPP_NOTICE = (
    "{name} could not be added: no WhatsApp account was found for this number. Remove the "
    "contact and create it again with a correct number."
)


def _welcome_contact(session: Session, message: RoomMessage) -> Contact | None:
    if message.kind != messages.WELCOME or message.contact_id is None:
        return None
    room = repository.room_any(session, message.room_id)
    if room is None or room.network != "WHATSAPP":
        return None
    return contacts.find_contact(session, message.workspace_id, message.contact_id)


def welcome_delivered(session: Session, message: RoomMessage, *, now: datetime, actor: str) -> None:
    contact = _welcome_contact(session, message)
    if contact is not None:
        contacts.move_if_allowed(
            session, contact, ContactEvent.WELCOME_DELIVERED, actor=actor, now=now
        )


def not_on_whatsapp(session: Session, message: RoomMessage, *, now: datetime, actor: str) -> None:
    contact = _welcome_contact(session, message)
    if contact is None:
        return
    contacts.move_if_allowed(
        session,
        contact,
        ContactEvent.WELCOME_NOT_ON_WHATSAPP,
        actor=actor,
        now=now,
        reason="welcome template failed: no WhatsApp account (131026)",
        error_code=131026,
    )
    room = repository.room_any(session, message.room_id)
    assert room is not None
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or "The contact"
    messages.post_notice(
        session, room, contact.id, NOT_ON_WHATSAPP_NOTICE.format(name=name), actor=actor, now=now
    )
