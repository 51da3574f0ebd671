"""Inbound on SMS & Voice Direct and WhatsApp Direct: a message or call to a user's virtual
number (DESIGN.md §2.3, seed 000 INCOMPLETE/BLOCKED).

A number that is not in the contact list of the virtual number's user (even if it is another
user's contact: Direct contacts are per user) is auto-onboarded: a contact of that user with
the phone only (INCOMPLETE), a room owned by that user, the message stored RECEIVED, the welcome
message queued. A number on that user's block list yields a BLOCKED contact instead, and its
messages are HELD: kept, not part of the room, no welcome, until a user onboards or unblocks it
(direct/service.py). A delivery repeating a message id (or, without one, a byte-identical
body) changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.contacts import service as contacts
from relaybird.contacts.service import ContactDraft
from relaybird.contacts.transitions import ContactEvent, ContactStatus, Network
from relaybird.contacts.validation import ContactFields, normalise_phone
from relaybird.direct.schemas import DirectInbound
from relaybird.errors import InvalidInput, Unauthorized
from relaybird.models import Contact, Room, RoomMessage
from relaybird.rooms import consent, messages, repository, service

ACTOR = "direct-webhook"
SIGNATURE_HEADER = "X-Relaybird-Signature"


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, compared in constant time."""
    if not secret:
        raise Unauthorized(
            "direct webhooks are refused: RELAYBIRD_DIRECT_WEBHOOK_SECRET is not set"
        )
    if not header or not header.startswith("sha256="):
        raise Unauthorized(f"missing {SIGNATURE_HEADER}: sha256=<hex HMAC of the raw body>")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = (
        header.removeprefix("sha256=").strip().lower().encode()
    )  # bytes: non-ASCII is just wrong
    if not hmac.compare_digest(expected.encode(), given):
        raise Unauthorized(f"{SIGNATURE_HEADER} does not match the body")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Received:
    contact: Contact
    room: Room
    message: RoomMessage
    duplicate: bool
    queued: list[int]  # outbound messages to send after commit (the welcome)


def _phone(raw: str, field: str, region: str) -> str:
    try:
        return normalise_phone(raw, region)
    except InvalidInput:
        raise InvalidInput(f"{field}: not a valid phone number", field=field) from None


def receive(
    session: Session,
    settings: Settings,
    body: DirectInbound,
    raw: bytes,
    *,
    now: datetime,
    workspace_id: int | None = None,
) -> Received:
    """``workspace_id``: the connector's workspace when the carrier's account says which (a
    Twilio account reaches the virtual numbers of its own workspace only)."""
    network = Network(body.network)
    caller = _phone(body.from_, "from", settings.default_region)
    to = _phone(body.to, "to", settings.default_region)
    number = repository.virtual_number(session, network.value, to)
    if number is None or (workspace_id is not None and number.workspace_id != workspace_id):
        raise InvalidInput(
            f"no user has {body.to!r} as a {network.value} virtual number", field="to"
        )
    repository.lock_phone(session, network.value, caller)
    key = body.id if body.id is not None else "sha256:" + hashlib.sha256(raw).hexdigest()
    wamid = f"direct:{network.value}:{to}:{key}"[:128]
    earlier = repository.inbound_by_wamid(session, number.workspace_id, wamid)
    if earlier is not None:
        room = repository.room_any(session, earlier.room_id)
        contact = contacts.find_contact(session, number.workspace_id, earlier.contact_id or 0)
        assert room is not None and contact is not None
        return Received(contact, room, earlier, True, [])

    blocked = repository.is_blocked(session, number.user_id, caller)
    # "Not in the user's contact list" (seed 000) is per user: another user's contact with this
    # phone is not this user's; the number's user gets their own entry.
    contact = repository.contact_by_phone(
        session, number.workspace_id, network.value, caller, number.user_id
    )
    if contact is None:
        contact = contacts.create_contact(
            session,
            number.workspace_id,
            ContactDraft(network, number.user_id, ContactFields(phone=caller)),
            actor=ACTOR,
            at=now,
            event=ContactEvent.AUTO_ONBOARD_BLOCKED if blocked else ContactEvent.AUTO_ONBOARDED,
            reason="number on the user's block list"
            if blocked
            else f"{body.kind} to a virtual number",
            region=settings.default_region,
        )
    held = blocked or contact.status == ContactStatus.BLOCKED

    room = repository.owned_room_with(session, number.user_id, network.value, contact.id)
    if room is None:
        room = service.create_room(
            session,
            number.workspace_id,
            name=caller,
            network=network,
            owner_user_id=number.user_id,
            sender_id=None,
            actor=ACTOR,
            now=now,
        )
        service.add_contact(
            session, settings, room, contact.id, actor=ACTOR, now=now, welcome=False
        )
    at = body.timestamp or now
    message = messages.receive(
        session,
        room,
        contact,
        wamid=wamid,
        kind="CALL" if body.kind == "call" else "TEXT",
        text=body.text,
        held=held,
        actor=ACTOR,
        now=now,
        at=at,
    )
    assert message is not None  # checked above; a concurrent twin fails the unique index
    if network is Network.SMS_DIRECT and body.kind == "message":
        consent.texted_first(contact, at)  # they started the conversation (TCPA opt-in)
    queued: list[int] = []
    if not held:
        if network is Network.WHATSAPP_DIRECT:
            messages.open_window(contact, at)
            session.flush()
        service.refresh_status(session, room, actor=ACTOR, now=now)
        welcome = messages.queue_welcome(session, settings, room, contact, actor=ACTOR, now=now)
        if welcome is not None:
            queued.append(welcome.id)
    return Received(contact, room, message, False, queued)
