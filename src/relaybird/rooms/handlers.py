"""The inbox applier's hooks for rooms (registered in ``relaybird.wiring.registered_handlers``).

Statuses: ours carry callback data ``m:<room message id>`` (matched even before the send call
has returned and recorded the wamid), or, without callback data, a wamid we recorded. Anything
else is returned unmatched for the campaign handlers (``r:``); a status with ``m:`` whose
message is gone (room deleted) is dropped, not retried.

Inbound WhatsApp messages: the contact is found by phone among the sender workspace's WhatsApp
contacts, the room by the sender number; each such room gets a RECEIVED message (once per
wamid), the contact's 24 h window opens, and the rooms' ACTIVE/LIMITED status is recomputed.
Messages to a number that is a user's WhatsApp-Direct virtual number are not these rooms':
``relaybird.direct.handlers`` takes them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.models import RoomMessage
from relaybird.providers.whatsapp.events import InboundMessage, MessageStatus
from relaybird.rooms import messages, outcomes, repository, service

log = logging.getLogger("relaybird.rooms")

ACTOR = "webhook"
_SUCCESS = frozenset({"sent", "delivered", "read"})


def register(registry: Registry) -> None:
    registry.on(MessageStatus, on_statuses)
    registry.on(InboundMessage, on_inbound)


def _ours(
    session: Session, event: MessageStatus, by_wamid: dict[str, RoomMessage]
) -> tuple[bool, RoomMessage | None]:
    data = event.callback_data or ""
    if data.startswith("m:"):
        try:
            return True, repository.message(session, int(data[2:]))
        except ValueError:
            return True, None
    if data:
        return False, None
    found = by_wamid.get(event.wamid)
    return found is not None, found


def _from_its_number(session: Session, message: RoomMessage, event: MessageStatus) -> bool:
    """Only a status reported for the number the message was sent from counts (callback data
    and wamids are echoed by whoever sends: never let another number's status move it)."""
    room = repository.room_any(session, message.room_id)
    sender = None
    if room is not None and room.sender_id:
        sender = repository.sender_any(session, room.sender_id)
    elif room is not None and room.network == "WHATSAPP_DIRECT":
        # Sent from the owner's virtual number, a Cloud API number of the workspace (as
        # rooms.outbound picks it).
        number = repository.virtual_number_of(session, room.owner_user_id, room.network)
        if number is not None:
            sender = repository.sender_with_phone(session, room.workspace_id, number.phone)
    if sender is not None and sender.phone_number_id == event.phone_number_id:
        return True
    log.warning("a status for room message %s came from another number: ignored", message.id)
    return False


def on_statuses(
    session: Session, events: Sequence[MessageStatus], ctx: ApplyContext
) -> list[MessageStatus]:
    unmatched: list[MessageStatus] = []
    # Statuses without callback data are matched by wamid: one query for the batch (most are
    # campaign statuses, which no room message has).
    by_wamid = repository.out_messages_by_wamid(
        session, [e.wamid for e in events if not e.callback_data and e.wamid]
    )
    for event in events:
        mine, message = _ours(session, event, by_wamid)
        if not mine:
            unmatched.append(event)
            continue
        if message is None or message.direction != "OUT":
            continue
        if not _from_its_number(session, message, event):
            continue
        if event.wamid:
            repository.set_wamid(session, message.id, event.wamid)
            # A later status of this batch without callback data finds it, as a lookup would.
            by_wamid.setdefault(event.wamid, message)
        code = event.error_code
        title = event.errors[0].title if event.errors else None
        messages.apply_status(
            session,
            message,
            event.status,
            error_code=code,
            error_title=title,
            actor=ACTOR,
            now=ctx.now,
        )
        if event.status in _SUCCESS:
            outcomes.welcome_delivered(session, message, now=ctx.now, actor=ACTOR)
        elif event.status == "failed" and code == outcomes.NOT_ON_WHATSAPP:
            outcomes.not_on_whatsapp(session, message, now=ctx.now, actor=ACTOR)
    return unmatched


def on_inbound(session: Session, events: Sequence[InboundMessage], ctx: ApplyContext) -> None:
    for event in events:
        if event.phone_number_id is None or event.type == "system":
            continue
        sender = repository.sender_by_phone_number_id(session, event.phone_number_id)
        if sender is None:
            continue
        if repository.whatsapp_direct_number(session, sender) is not None:
            continue  # a user's WhatsApp-Direct virtual number: relaybird.direct.handlers
        phone = "+" + event.sender.lstrip("+")
        contacts = repository.whatsapp_contacts(session, sender.workspace_id, phone)
        if not contacts:
            continue
        at = event.timestamp or ctx.now
        for contact in contacts:
            messages.open_window(contact, at)
        session.flush()
        by_id = {c.id: c for c in contacts}
        for room in repository.whatsapp_rooms(session, sender.id, list(by_id)):
            for contact in repository.contacts(session, room.id):
                if contact.id in by_id:
                    messages.receive(
                        session,
                        room,
                        contact,
                        wamid=event.wamid,
                        kind=messages.inbound_kind(event.type),
                        text=event.text,
                        held=False,
                        actor=ACTOR,
                        now=ctx.now,
                        at=at,
                    )
            service.refresh_status(session, room, actor=ACTOR, now=ctx.now)
