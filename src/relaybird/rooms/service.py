"""Rooms: an owner, user members, and contacts of exactly one network (DESIGN.md §2.4).

The room's status follows its contacts: ACTIVE while every contact's 24 h customer-service
window is open (networks without a window are always ACTIVE), LIMITED when one is not,
DEACTIVATED when its last contact is removed; adding a contact again reactivates it. Services
never commit: the door owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.contacts import service as contacts_service
from relaybird.contacts.transitions import Network
from relaybird.errors import IllegalTransition, InvalidInput, NotFound, found
from relaybird.events.transitions import Moved, apply_transition, record
from relaybird.models import Contact, Room, RoomMessage, User
from relaybird.rooms import messages, repository
from relaybird.rooms.errors import NetworkMismatch
from relaybird.rooms.transitions import ROOM, RoomEvent, RoomStatus


@dataclass(frozen=True)
class RoomView:
    room: Room
    members: list[User]
    contacts: list[Contact]


def get_room(session: Session, workspace_id: int, room_id: int, *, lock: bool = False) -> Room:
    return found(repository.room(session, workspace_id, room_id, lock=lock), f"room {room_id}")


def view(session: Session, room: Room) -> RoomView:
    return RoomView(
        room, repository.members(session, room.id), repository.contacts(session, room.id)
    )


def _user(session: Session, workspace_id: int, user_id: int) -> User:
    user = repository.user(session, workspace_id, user_id)
    if user is None:
        raise InvalidInput(f"user {user_id} does not exist in this workspace", field="user_id")
    return user


def create_room(
    session: Session,
    workspace_id: int,
    *,
    name: str,
    network: Network,
    owner_user_id: int,
    sender_id: int | None,
    actor: str,
    now: datetime,
) -> Room:
    # Every problem in one answer (issue 12 item 8): the body's rule, then the look-ups.
    problems: list[dict[str, str]] = []
    if network is Network.WHATSAPP and sender_id is None:
        msg = "a WhatsApp room needs it: the number its welcome template and messages go out from"
        problems.append({"field": "sender_id", "msg": msg})
    elif network is not Network.WHATSAPP and sender_id is not None:
        msg = f"sender_id is for WhatsApp rooms; {network} rooms have none"
        problems.append({"field": "sender_id", "msg": msg})
    owner = repository.user(session, workspace_id, owner_user_id)
    if owner is None:
        msg = f"user {owner_user_id} does not exist in this workspace"
        problems.append({"field": "owner_user_id", "msg": msg})
    if (
        network is Network.WHATSAPP
        and sender_id is not None
        and repository.sender(session, workspace_id, sender_id) is None
    ):
        msg = f"sender {sender_id} does not exist in this workspace"
        problems.append({"field": "sender_id", "msg": msg})
    if problems or owner is None:
        detail = "; ".join(f"{e['field']}: {e['msg']}" for e in problems)
        raise InvalidInput(detail, errors=problems, field=problems[0]["field"])
    room = Room(
        workspace_id=workspace_id,
        name=name,
        network=network.value,
        owner_user_id=owner.id,
        sender_id=sender_id,
        status=RoomStatus.ACTIVE,
    )
    session.add(room)
    session.flush()
    record(
        session,
        ROOM,
        [Moved(room.id, workspace_id, None, RoomStatus.ACTIVE.value)],
        event=RoomEvent.CREATED,
        actor=actor,
        at=now,
    )
    repository.add_member(session, room.id, owner.id, now)
    return room


def add_member(session: Session, room: Room, user_id: int, *, now: datetime) -> bool:
    _user(session, room.workspace_id, user_id)
    return repository.add_member(session, room.id, user_id, now)


def remove_member(session: Session, room: Room, user_id: int) -> None:
    if user_id == room.owner_user_id:
        raise InvalidInput("the owner cannot leave the room", field="user_id")
    if not repository.remove_member(session, room.id, user_id):
        raise NotFound(f"user {user_id} is not a member of room {room.id}")


def add_contact(
    session: Session,
    settings: Settings,
    room: Room,
    contact_id: int,
    *,
    actor: str,
    now: datetime,
    welcome: bool = True,
) -> tuple[Contact, RoomMessage | None]:
    """Add a contact of the room's network; queue its welcome message (WhatsApp: the probe).

    Re-adding an UNAVAILABLE contact adds it but does not probe again (sticky, seed 000)."""
    contact = contacts_service.get_contact(session, room.workspace_id, contact_id)
    if contact.network != room.network:
        raise NetworkMismatch(
            f"room {room.id} is a {room.network} room; contact {contact.id} is on "
            f"{contact.network}. A room holds contacts of one network only.",
            room_network=room.network,
            contact_network=contact.network,
        )
    repository.add_contact(session, room.id, contact.id, now)
    if room.status == RoomStatus.DEACTIVATED:
        target = desired_status(session, room, now)
        apply_transition(
            session,
            ROOM,
            Room,
            room.id,
            event=RoomEvent.REACTIVATED,
            target=target,
            actor=actor,
            at=now,
        )
        room.status = target
    else:
        refresh_status(session, room, actor=actor, now=now)
    queued = (
        messages.queue_welcome(session, settings, room, contact, actor=actor, now=now)
        if welcome
        else None
    )
    return contact, queued


def remove_contact(
    session: Session, room: Room, contact_id: int, *, actor: str, now: datetime
) -> None:
    if not repository.remove_contact(session, room.id, contact_id):
        raise NotFound(f"contact {contact_id} is not in room {room.id}")
    if repository.count_contacts(session, room.id) == 0:
        apply_transition(
            session, ROOM, Room, room.id, event=RoomEvent.LAST_CONTACT_REMOVED, actor=actor, at=now
        )
        room.status = RoomStatus.DEACTIVATED
    else:
        refresh_status(session, room, actor=actor, now=now)


def delete_contact(
    session: Session, workspace_id: int, contact_id: int, *, actor: str, at: datetime
) -> None:
    """Delete a contact (``contacts.service.delete_contact``: it and its invitations) after
    taking it out of every room it is in: each room learns it lost a contact, its last one
    deactivates it, like a removal."""
    contact = contacts_service.get_contact(session, workspace_id, contact_id)
    for room in repository.rooms_of_contact(session, contact.id):
        remove_contact(session, room, contact.id, actor=actor, now=at)
    contacts_service.delete_contact(session, workspace_id, contact.id, actor=actor, at=at)


def desired_status(session: Session, room: Room, now: datetime) -> RoomStatus:
    if room.network not in messages.WINDOW_NETWORKS:
        return RoomStatus.ACTIVE
    contacts = repository.contacts(session, room.id)
    if all(messages.window_open(c, now) for c in contacts):
        return RoomStatus.ACTIVE
    return RoomStatus.LIMITED


def refresh_status(session: Session, room: Room, *, actor: str, now: datetime) -> bool:
    """ACTIVE ⇄ LIMITED from the contacts' windows; a DEACTIVATED room stays so."""
    if room.status == RoomStatus.DEACTIVATED:
        return False
    want = desired_status(session, room, now)
    if want == room.status:
        return False
    event = RoomEvent.WINDOWS_OPEN if want is RoomStatus.ACTIVE else RoomEvent.WINDOW_CLOSED
    try:
        moved = apply_transition(
            session, ROOM, Room, room.id, event=event, target=want, actor=actor, at=now
        )
    except IllegalTransition:
        return False  # moved under us (deactivated): nothing to do
    room.status = want
    return moved.changed


def recheck_windows(session: Session, room_id: int, now: datetime) -> bool:
    room = repository.room_any(session, room_id)
    if room is None:
        return False
    return refresh_status(session, room, actor="scheduler", now=now)


def list_rooms(
    session: Session,
    workspace_id: int,
    *,
    after_id: int | None,
    limit: int,
    network: str | None,
    status: str | None,
) -> tuple[list[RoomView], int | None]:
    rows = repository.rooms(
        session, workspace_id, after_id=after_id, limit=limit + 1, network=network, status=status
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return [view(session, r) for r in rows], (rows[-1].id if more and rows else None)


def list_messages(
    session: Session, room: Room, *, after_id: int | None, limit: int, include_held: bool
) -> tuple[list[RoomMessage], int | None]:
    rows = repository.messages(
        session, room.id, after_id=after_id, limit=limit + 1, include_held=include_held
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def get_message(session: Session, workspace_id: int, message_id: int) -> RoomMessage:
    row = repository.message(session, message_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"room message {message_id} not found")
    return row


def rooms_of_contact(session: Session, contact_id: int) -> list[Room]:
    return repository.rooms_of_contact(session, contact_id)
