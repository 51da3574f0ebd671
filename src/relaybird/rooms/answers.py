"""Answering a campaign reply: a free-form WhatsApp text to the number that replied, sent as a
room message (issue 15, "Replies").

The answer goes out from the campaign's sender number, only inside the 24 h customer-service
window, counted from the number's last inbound message to that sender (its latest reply to any
of the sender's campaigns, or a later message in a room); outside it, 409 ``template_required``
saying when the window closed. It is a room message like any other (rooms/messages.py writes
it, rooms/outbound.py sends it, its status webhooks move it): the number's WhatsApp contact is
the workspace's one (created with the phone alone when there is none), the room is the sender's
room holding that contact alone (created when there is none, without a welcome template: the
person wrote first). The reply being answered is put into the room as the inbound message it
was (once per wamid), so the conversation reads in order.

Who owns a new contact and room: ``user_id`` when given, else the dashboard user answering,
else the existing contact's owner, else the workspace's first active user (422 when there is
none). Services never commit: the door does, then sends (``outbound.deliver_after_commit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.campaigns import replies
from relaybird.config import Settings
from relaybird.contacts import service as contacts
from relaybird.contacts.transitions import Network
from relaybird.errors import InvalidInput
from relaybird.kit.time import rfc3339
from relaybird.models import Contact, Room, RoomMessage
from relaybird.rooms import messages, repository, service
from relaybird.rooms.errors import TemplateNeeded

# Meta's limit on a text message's body.
TEXT_MAX = 4096


@dataclass(frozen=True)
class Answer:
    room: Room
    contact: Contact
    message: RoomMessage
    room_created: bool


def check_text(text: str) -> str:
    """The answer's text as given, or 422: not blank, at most 4096 characters, no NUL."""
    problem = None
    if not text.strip():
        problem = "must not be empty"
    elif len(text) > TEXT_MAX:
        problem = f"at most {TEXT_MAX} characters (WhatsApp's limit), got {len(text)}"
    elif "\x00" in text:
        problem = "must not contain NUL characters"
    if problem:
        raise InvalidInput(f"text: {problem}", errors=[{"field": "text", "msg": problem}])
    return text


def window_closes_at(origin: replies.ReplyOrigin, contact: Contact | None) -> datetime:
    closes = origin.last_inbound_at + messages.SERVICE_WINDOW
    if contact is not None and contact.window_expires_at is not None:
        closes = max(closes, contact.window_expires_at)
    return closes


def answer_reply(
    session: Session,
    settings: Settings,
    workspace_id: int,
    campaign_id: int,
    reply_id: int,
    *,
    text: str,
    user_id: int | None,
    actor: str,
    now: datetime,
) -> Answer:
    """Queue ``text`` to the number behind reply ``reply_id`` of campaign ``campaign_id``
    (PENDING; the caller commits, then sends). 404 for another workspace's campaign or another
    campaign's reply, 422 for a bad text or user, 409 once the window is closed."""
    text = check_text(text)
    origin = replies.reply_origin(session, workspace_id, campaign_id, reply_id)
    repository.lock_phone(session, Network.WHATSAPP.value, origin.phone)
    existing = next(iter(repository.whatsapp_contacts(session, workspace_id, origin.phone)), None)
    closes = window_closes_at(origin, existing)
    if closes <= now:
        raise TemplateNeeded(
            "the 24 h customer-service window for this number closed at "
            f"{rfc3339(closes)} (its last message: {rfc3339(origin.last_inbound_at)}); a "
            "free-form answer is no longer allowed. Send an approved template instead (a room "
            "message with a template, or a campaign).",
            closed_at=rfc3339(closes),
            last_inbound_at=rfc3339(origin.last_inbound_at),
        )
    owner = _owner(session, workspace_id, user_id, actor, existing)
    contact = existing or contacts.contact_for_reply(
        session, workspace_id, origin.phone, owner_user_id=owner, actor=actor, at=now
    )
    messages.open_window(contact, origin.last_inbound_at)
    session.flush()
    room, created = _room(session, settings, origin, contact, owner, actor, now)
    reply = origin.reply
    messages.receive(
        session,
        room,
        contact,
        wamid=reply.wamid,
        kind=messages.inbound_kind(reply.type),
        text=reply.text,
        held=False,
        actor=actor,
        now=now,
        at=reply.received_at,
    )
    service.refresh_status(session, room, actor=actor, now=now)
    posted = messages.post_outbound(
        session,
        room,
        text=text,
        template=None,
        author_user_id=user_id if user_id is not None else _user_of(actor),
        actor=actor,
        now=now,
    )
    return Answer(room=room, contact=contact, message=posted[0], room_created=created)


def _user_of(actor: str) -> int | None:
    """The user behind a dashboard session's actor (``user:<id>``); None for a key."""
    kind, _, ident = actor.partition(":")
    return int(ident) if kind == "user" and ident.isdigit() else None


def _owner(
    session: Session, workspace_id: int, user_id: int | None, actor: str, contact: Contact | None
) -> int:
    if user_id is not None:
        user = repository.user(session, workspace_id, user_id)
        if user is None or not user.active:
            msg = f"{user_id} is not an active user of this workspace"
            raise InvalidInput(f"user_id: {msg}", errors=[{"field": "user_id", "msg": msg}])
        return user.id
    acting = _user_of(actor)
    if acting is not None and repository.user(session, workspace_id, acting) is not None:
        return acting
    if contact is not None:
        return contact.owner_user_id
    first = repository.first_active_user(session, workspace_id)
    if first is None:
        msg = "the workspace has no user to own the room: create one (relaybird users create)"
        raise InvalidInput(f"user_id: {msg}", errors=[{"field": "user_id", "msg": msg}])
    return first.id


def _room(
    session: Session,
    settings: Settings,
    origin: replies.ReplyOrigin,
    contact: Contact,
    owner: int,
    actor: str,
    now: datetime,
) -> tuple[Room, bool]:
    """The sender's room holding this contact alone, or a new one (no welcome template)."""
    for room in repository.whatsapp_rooms(session, origin.sender_id, [contact.id]):
        if room.network == Network.WHATSAPP and repository.count_contacts(session, room.id) == 1:
            return room, False
    room = service.create_room(
        session,
        origin.campaign.workspace_id,
        name=f"WhatsApp {origin.phone}"[:200],
        network=Network.WHATSAPP,
        owner_user_id=owner,
        sender_id=origin.sender_id,
        actor=actor,
        now=now,
    )
    service.add_contact(session, settings, room, contact.id, actor=actor, now=now, welcome=False)
    return room, True
