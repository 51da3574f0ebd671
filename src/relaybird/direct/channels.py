"""What the Direct networks' provider callbacks do to rooms and contacts (issue 16).

Twilio (SMS & Voice Direct): an inbound SMS or call is the same event as a ``/webhooks/direct``
post and goes through ``direct.inbound.receive`` (unknown caller → INCOMPLETE contact + room +
welcome; a number on the user's block list → BLOCKED, HELD); a status callback moves the room
message it names (callback data ``m:<id>``, else the Twilio message SID we recorded) to SENT,
DELIVERED or FAILED. STOP (and the other opt-out keywords) records the opt-out on the
contact (``unfollowed_at``): nothing is sent to it until START. A US number gets nothing but
the opt-in request before it opts in (TCPA: rooms/consent.py).

LINE (and WeChat): the person is known by their network address (LINE user id), learnt when
their invitation is validated through the network: the invitation code sent in the chat to the
Official Account (the e-mail carries the add-friend link and the code) validates it
(PENDING_CONFIRMATION → CONFIRMED) and links the contact to that user id. LINE's account
linking does the same: a new follower who is nobody's contact gets a link (with a link token)
to our page, gives the invitation code there, is sent to LINE's account-link dialog with a nonce
bound to the invitation, and the ``accountLink`` event carrying that nonce validates it.
Later messages from that user land RECEIVED in the contact's rooms; unfollow (or block) is
recorded on the contact (``unfollowed_at``; nothing is pushed to them then) and a new follow
clears it.

WeChat: the invitation's parametric QR code carries the scene ``inv:<invitation id>``; the
``subscribe`` (new follower) or ``SCAN`` (already following) event with that scene validates it
and links the contact to the OpenID. A message, follow or scan opens the 48 h customer-service
window (``Contact.window_expires_at``), outside which nothing is sent.

Everything here runs in the door's one transaction, after the signature
was verified; nothing here talks to a provider.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.contacts import invitations, users
from relaybird.contacts.validation import normalise_phone
from relaybird.direct import inbound
from relaybird.direct.schemas import DirectInbound
from relaybird.errors import AppError
from relaybird.models import Connector, Contact, RoomMessage
from relaybird.providers.channel_events import (
    AccountLink,
    ChannelEvent,
    DeliveryState,
    Follow,
    InboundCall,
    InboundText,
    Keyword,
    QrScan,
    StatusUpdate,
    Unfollow,
)
from relaybird.providers.windows import WECHAT_WINDOW
from relaybird.rooms import consent, messages, repository, service
from relaybird.rooms.transitions import MessageStatus

log = logging.getLogger("relaybird.rooms")

ACTOR = "channel-webhook"
_MOVES = {
    DeliveryState.SENT: "sent",
    DeliveryState.DELIVERED: "delivered",
    DeliveryState.READ: "read",
    DeliveryState.FAILED: "failed",
}


@dataclass
class Applied:
    queued: list[int] = field(default_factory=list)  # outbound messages to send after commit
    received: list[inbound.Received] = field(default_factory=list)
    statuses: int = 0  # room messages moved
    validated: list[int] = field(default_factory=list)  # contacts whose invitation was validated
    # LINE users who followed and are nobody's contact yet: offer them account linking.
    link_offers: list[str] = field(default_factory=list)
    # A call to a user who forwards calls, from a number they have not blocked: (the user's own
    # phone, the virtual number called). None: answer with the spoken message.
    forward: tuple[str, str] | None = None


def _message(session: Session, connector: Connector, event: StatusUpdate) -> RoomMessage | None:
    data = event.callback_data or ""
    found: RoomMessage | None = None
    if data.startswith("m:") and data[2:].isdigit():
        found = repository.message(session, int(data[2:]))
    elif not data:
        found = repository.message_by_wamid(session, event.message_id)
    if found is None or found.workspace_id != connector.workspace_id or found.direction != "OUT":
        return None
    return found


def apply_direct_events(
    session: Session,
    settings: Settings,
    connector: Connector,
    events: Sequence[ChannelEvent],
    *,
    now: datetime,
) -> Applied:
    """Twilio's events for ``connector``'s workspace. Raises InvalidInput for an inbound to a
    number that is no user's virtual number there (nothing is written then)."""
    out = Applied()
    for event in events:
        if isinstance(event, InboundText | InboundCall):
            call = isinstance(event, InboundCall)
            body = DirectInbound.model_validate(
                {
                    "network": connector.network,
                    "from": event.caller if isinstance(event, InboundCall) else event.sender,
                    "to": event.account,
                    "kind": "call" if call else "message",
                    "text": None if isinstance(event, InboundCall) else event.text[:4096],
                    "id": event.call_id if isinstance(event, InboundCall) else event.message_id,
                }
            )
            got = inbound.receive(
                session, settings, body, b"", now=now, workspace_id=connector.workspace_id
            )
            if isinstance(event, InboundText) and not got.duplicate:
                # STOP / START (carriers' opt-out keywords): nothing is sent to a number that
                # opted out, the welcome queued just now included, until it opts in again.
                # The opt-in (TCPA, rooms/consent.py) releases what waited for it.
                if event.keyword is Keyword.OPT_OUT:
                    consent.opted_out(got.contact, now)
                elif event.keyword is Keyword.OPT_IN:
                    out.queued.extend(consent.opted_in(session, got.contact, now))
                session.flush()
            if call and got.message.status != MessageStatus.HELD:
                phone = users.forward_to(session, got.room.owner_user_id)
                if phone is not None:
                    out.forward = (phone, normalise_phone(event.account, settings.default_region))
            out.received.append(got)
            out.queued.extend(got.queued)
        elif isinstance(event, StatusUpdate):
            move = _MOVES.get(event.state)
            message = _message(session, connector, event)
            if move is None or message is None:
                continue
            if message.wamid is None:
                repository.set_wamid(session, message.id, event.message_id)
            error = event.error
            moved = messages.apply_status(
                session,
                message,
                move,
                error_code=error.code if error else None,
                error_title=error.title if error else None,
                actor=ACTOR,
                now=now,
            )
            out.statuses += int(moved)
        else:
            log.info("%s callback event not applied: %s", connector.network, type(event).__name__)
    return out


def _validate_by_code(
    session: Session, connector: Connector, text: str, user_id: str, now: datetime
) -> Contact | None:
    """The chat message is an open invitation code of a contact of this network and workspace:
    validate it and link the contact to ``user_id``. None when it is not one (then it is an
    ordinary message)."""
    if invitations.normalise_code(text.strip()) is None:
        return None
    try:
        found = invitations.find(session, text.strip(), now)
    except AppError:
        return None
    contact = found.contact
    if contact.network != connector.network or contact.workspace_id != connector.workspace_id:
        return None
    if contact.network_user_id not in (None, user_id):
        return None  # already linked to someone else: a code is not transferable
    invitations.accept(session, text.strip(), at=now)
    contact.network_user_id = user_id
    contact.unfollowed_at = None
    session.flush()
    return contact


def _validate_by_scene(
    session: Session, connector: Connector, scene: str | None, user_id: str, now: datetime
) -> Contact | None:
    prefix = invitations.SCENE_PREFIX
    if not scene or not scene.startswith(prefix) or not scene[len(prefix) :].isdigit():
        return None
    found = invitations.accept_by_id(session, int(scene[len(prefix) :]), at=now)
    if found is None:
        return None
    contact = found.contact
    if contact.network != connector.network or contact.workspace_id != connector.workspace_id:
        return None  # not possible with our own QR codes; never trust it anyway
    if contact.network_user_id not in (None, user_id):
        return None
    contact.network_user_id = user_id
    contact.unfollowed_at = None
    session.flush()
    return contact


def _validate_by_nonce(
    session: Session, connector: Connector, event: AccountLink, now: datetime
) -> Contact | None:
    if not event.ok or not event.user_id:
        return None  # LINE refused the link: the invitation stays open
    found = invitations.accept_by_nonce(session, event.nonce, at=now)
    if found is None:
        return None
    contact = found.contact
    if contact.network != connector.network or contact.workspace_id != connector.workspace_id:
        return None
    if contact.network_user_id not in (None, event.user_id):
        return None
    contact.network_user_id = event.user_id
    contact.unfollowed_at = None
    session.flush()
    return contact


def _open_window(session: Session, contacts: Sequence[Contact], network: str, at: datetime) -> None:
    """From when we received it (our clock; WeChat delivers within seconds). Their WeChat rooms
    become ACTIVE again (LIMITED while a contact's 48 h window is closed)."""
    if network != "WECHAT":
        return
    for contact in contacts:
        until = at + WECHAT_WINDOW
        if contact.window_expires_at is None or contact.window_expires_at < until:
            contact.window_expires_at = until
        if contact.last_inbound_at is None or contact.last_inbound_at < at:
            contact.last_inbound_at = at
    _refresh_rooms(session, contacts, at)


def _refresh_rooms(session: Session, contacts: Sequence[Contact], now: datetime) -> None:
    session.flush()
    for contact in contacts:
        for room in repository.rooms_of_contact(session, contact.id):
            service.refresh_status(session, room, actor=ACTOR, now=now)


def apply_official_account_events(
    session: Session,
    connector: Connector,
    events: Sequence[ChannelEvent],
    *,
    now: datetime,
) -> Applied:
    """LINE's (and WeChat's) events for ``connector``'s workspace."""
    out = Applied()
    network = connector.network
    for event in events:
        if isinstance(event, InboundText):
            at = event.at or now
            linked = _validate_by_code(session, connector, event.text, event.sender, now)
            if linked is not None:
                out.validated.append(linked.id)
                _open_window(session, [linked], network, now)
                continue
            contacts = repository.contacts_by_network_user(
                session, connector.workspace_id, network, event.sender
            )
            _open_window(session, contacts, network, now)
            for contact in contacts:
                for room in repository.rooms_of_contact(session, contact.id):
                    messages.receive(
                        session,
                        room,
                        contact,
                        wamid=f"{network.lower()}:{event.message_id}"[:128],
                        kind="TEXT",
                        text=event.text[:4096],
                        held=False,
                        actor=ACTOR,
                        now=now,
                        at=at,
                    )
                    service.refresh_status(session, room, actor=ACTOR, now=now)
        elif isinstance(event, Follow | QrScan):
            linked = _validate_by_scene(session, connector, event.scene, event.user_id, now)
            if linked is not None:
                out.validated.append(linked.id)
            contacts = repository.contacts_by_network_user(
                session, connector.workspace_id, network, event.user_id
            )
            if not contacts and network == "LINE" and isinstance(event, Follow):
                out.link_offers.append(event.user_id)
            for contact in contacts:
                contact.unfollowed_at = None
            _open_window(session, contacts, network, now)
            session.flush()
        elif isinstance(event, Unfollow):
            gone = repository.contacts_by_network_user(
                session, connector.workspace_id, network, event.user_id
            )
            for contact in gone:
                contact.unfollowed_at = event.at or now
                contact.window_expires_at = (
                    None if network == "WECHAT" else contact.window_expires_at
                )
            _refresh_rooms(session, gone, now)  # WeChat: window gone, the rooms LIMITED
        elif isinstance(event, AccountLink):
            linked = _validate_by_nonce(session, connector, event, now)
            if linked is not None:
                out.validated.append(linked.id)
    return out
