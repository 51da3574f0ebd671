"""Direct networks (SMS & Voice Direct, WhatsApp Direct): the per-user block list, and moving
auto-onboarded contacts on (DESIGN.md §2.3).

- ``onboard``: a user completes an INCOMPLETE or BLOCKED contact's profile → CONFIRMED on
  SMS-Direct, "no status" on WhatsApp-Direct (CONTACT table, event ``onboarded``).
- ``unblock``: BLOCKED → INCOMPLETE (event ``unblocked``).
Both take the number off the owner's block list (otherwise its next message would be held
again), release the messages HELD while it was blocked into their rooms, and send the welcome
message the blocked number never got.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.contacts import service as contacts
from relaybird.contacts import users
from relaybird.contacts.errors import ActionNotOnNetwork
from relaybird.contacts.transitions import DIRECT_NETWORKS, ContactEvent, Network
from relaybird.contacts.validation import ContactFields, normalise_phone
from relaybird.direct import repository as blocklist
from relaybird.errors import Conflict, NotFound
from relaybird.events.outbox import emit
from relaybird.models import BlockedNumber, Contact, User
from relaybird.rooms import messages as room_messages
from relaybird.rooms import service as rooms

REASONS = ("SPAM", "ABUSE", "COMPLIANCE", "OTHER")


@dataclass(frozen=True)
class Moved:
    contact: Contact
    released: int  # HELD messages delivered to their rooms
    queued: list[int]  # outbound messages to send after commit (welcome)


def _user(session: Session, workspace_id: int, user_id: int) -> User:
    return users.get_user(session, workspace_id, user_id)


def block_number(
    session: Session,
    workspace_id: int,
    user_id: int,
    *,
    phone: str,
    reason: str,
    comment: str | None,
    region: str,
    now: datetime,
) -> BlockedNumber:
    user = _user(session, workspace_id, user_id)
    number = normalise_phone(phone, region)
    entry = blocklist.add(
        session,
        BlockedNumber(
            workspace_id=workspace_id,
            user_id=user.id,
            phone=number,
            reason=reason,
            comment=comment,
            created_at=now,
        ),
    )
    if entry is None:
        raise Conflict(f"{phone} is on user {user_id}'s block list already")
    emit(
        session,
        workspace_id=workspace_id,
        type="blocked_number.added",
        entity="user",
        entity_id=user.id,
        data={"user_id": user.id, "reason": reason},
        at=now,
    )
    return entry


def blocked_numbers(
    session: Session, workspace_id: int, user_id: int, **bounds: int | None
) -> list[BlockedNumber]:
    return blocklist.of_user(session, _user(session, workspace_id, user_id).id, **bounds)


def unblock_number(
    session: Session, workspace_id: int, user_id: int, phone: str, *, region: str, now: datetime
) -> None:
    """Take a number off the list. Contacts already BLOCKED stay so until ``unblock``."""
    user = _user(session, workspace_id, user_id)
    if not blocklist.remove(session, user.id, normalise_phone(phone, region)):
        raise NotFound(f"{phone} is not on user {user_id}'s block list")
    emit(
        session,
        workspace_id=workspace_id,
        type="blocked_number.removed",
        entity="user",
        entity_id=user.id,
        data={"user_id": user.id},
        at=now,
    )


def _direct_contact(session: Session, workspace_id: int, contact_id: int) -> Contact:
    contact = contacts.get_contact(session, workspace_id, contact_id)
    if Network(contact.network) not in DIRECT_NETWORKS:
        raise ActionNotOnNetwork(
            f"onboard and unblock are for SMS_DIRECT and WHATSAPP_DIRECT contacts; this one is "
            f"on {contact.network}",
            network=contact.network,
        )
    return contact


def onboard(
    session: Session,
    settings: Settings,
    workspace_id: int,
    contact_id: int,
    fields: ContactFields,
    *,
    actor: str,
    now: datetime,
) -> Moved:
    contact = _direct_contact(session, workspace_id, contact_id)
    contacts.complete_profile(
        session, contact, fields, actor=actor, at=now, region=settings.default_region
    )
    return _release(session, settings, contact, actor=actor, now=now)


def unblock(
    session: Session,
    settings: Settings,
    workspace_id: int,
    contact_id: int,
    *,
    actor: str,
    now: datetime,
) -> Moved:
    contact = _direct_contact(session, workspace_id, contact_id)
    contacts.move_contact(session, contact, ContactEvent.UNBLOCKED, actor, at=now)
    return _release(session, settings, contact, actor=actor, now=now)


def _release(
    session: Session, settings: Settings, contact: Contact, *, actor: str, now: datetime
) -> Moved:
    if contact.phone is not None:
        blocklist.remove(session, contact.owner_user_id, contact.phone)
    released = room_messages.release_held(session, contact, actor=actor, now=now)
    if released and contact.network == Network.WHATSAPP_DIRECT.value:
        room_messages.open_window(contact, max(m.created_at for m in released))
        session.flush()
    queued: list[int] = []
    for room in rooms.rooms_of_contact(session, contact.id):
        rooms.refresh_status(session, room, actor=actor, now=now)
        welcome = room_messages.queue_welcome(
            session, settings, room, contact, actor=actor, now=now
        )
        if welcome is not None:
            queued.append(welcome.id)
    return Moved(contact, len(released), queued)
