"""SQL of rooms, their members, contacts and messages."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaybird.models import (
    BlockedNumber,
    Contact,
    Room,
    RoomContact,
    RoomMember,
    RoomMessage,
    Sender,
    User,
    VirtualNumber,
)
from relaybird.rooms.transitions import MessageStatus

# --- rooms ---------------------------------------------------------------------------------


def room(session: Session, workspace_id: int, room_id: int, *, lock: bool = False) -> Room | None:
    query = select(Room).where(Room.id == room_id, Room.workspace_id == workspace_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def room_any(session: Session, room_id: int) -> Room | None:
    return session.scalar(
        select(Room).where(Room.id == room_id).execution_options(populate_existing=True)
    )


def rooms(
    session: Session,
    workspace_id: int,
    *,
    after_id: int | None,
    limit: int,
    network: str | None = None,
    status: str | None = None,
) -> list[Room]:
    query = select(Room).where(Room.workspace_id == workspace_id)
    if after_id is not None:
        query = query.where(Room.id > after_id)
    if network is not None:
        query = query.where(Room.network == network)
    if status is not None:
        query = query.where(Room.status == status)
    return list(session.scalars(query.order_by(Room.id).limit(limit)))


def user(session: Session, workspace_id: int, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.id == user_id, User.workspace_id == workspace_id))


def sender(session: Session, workspace_id: int, sender_id: int) -> Sender | None:
    return session.scalar(
        select(Sender).where(Sender.id == sender_id, Sender.workspace_id == workspace_id)
    )


def sender_any(session: Session, sender_id: int) -> Sender | None:
    return session.get(Sender, sender_id)


def sender_by_phone_number_id(session: Session, phone_number_id: str) -> Sender | None:
    return session.scalar(select(Sender).where(Sender.phone_number_id == phone_number_id))


def virtual_number(session: Session, network: str, phone: str) -> VirtualNumber | None:
    return session.scalar(
        select(VirtualNumber).where(VirtualNumber.network == network, VirtualNumber.phone == phone)
    )


def whatsapp_direct_number(session: Session, sender: Sender) -> VirtualNumber | None:
    """The WhatsApp-Direct virtual number a sender of the same workspace is, if it is one."""
    digits = "".join(c for c in sender.display_phone_number if c.isdigit())
    number = virtual_number(session, "WHATSAPP_DIRECT", "+" + digits)
    if number is None or number.workspace_id != sender.workspace_id:
        return None
    return number


def virtual_number_of(session: Session, user_id: int, network: str) -> VirtualNumber | None:
    return session.scalar(
        select(VirtualNumber).where(
            VirtualNumber.user_id == user_id, VirtualNumber.network == network
        )
    )


# --- members and contacts ------------------------------------------------------------------


def members(session: Session, room_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(RoomMember, RoomMember.user_id == User.id)
            .where(RoomMember.room_id == room_id)
            .order_by(User.id)
        )
    )


def add_member(session: Session, room_id: int, user_id: int, at: datetime) -> bool:
    if session.get(RoomMember, (room_id, user_id)) is not None:
        return False
    session.add(RoomMember(room_id=room_id, user_id=user_id, added_at=at))
    session.flush()
    return True


def remove_member(session: Session, room_id: int, user_id: int) -> bool:
    result = session.execute(
        delete(RoomMember).where(RoomMember.room_id == room_id, RoomMember.user_id == user_id)
    )
    return bool(getattr(result, "rowcount", 0))


def contacts(session: Session, room_id: int) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .join(RoomContact, RoomContact.contact_id == Contact.id)
            .where(RoomContact.room_id == room_id)
            .order_by(Contact.id)
            .execution_options(populate_existing=True)
        )
    )


def contact_by_phone(
    session: Session, workspace_id: int, network: str, phone: str, owner_user_id: int
) -> Contact | None:
    """The Direct contact with this phone in ``owner_user_id``'s contact list."""
    return session.scalar(
        select(Contact)
        .where(
            Contact.workspace_id == workspace_id,
            Contact.network == network,
            Contact.phone == phone,
            Contact.owner_user_id == owner_user_id,
        )
        .order_by(Contact.id)
        .limit(1)
    )


def has_contact(session: Session, room_id: int, contact_id: int) -> bool:
    return session.get(RoomContact, (room_id, contact_id)) is not None


def add_contact(session: Session, room_id: int, contact_id: int, at: datetime) -> bool:
    if has_contact(session, room_id, contact_id):
        return False
    session.add(RoomContact(room_id=room_id, contact_id=contact_id, added_at=at))
    session.flush()
    return True


def remove_contact(session: Session, room_id: int, contact_id: int) -> bool:
    result = session.execute(
        delete(RoomContact).where(
            RoomContact.room_id == room_id, RoomContact.contact_id == contact_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def count_contacts(session: Session, room_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(RoomContact).where(RoomContact.room_id == room_id)
        )
        or 0
    )


def rooms_of_contact(session: Session, contact_id: int) -> list[Room]:
    return list(
        session.scalars(
            select(Room)
            .join(RoomContact, RoomContact.room_id == Room.id)
            .where(RoomContact.contact_id == contact_id)
            .order_by(Room.id)
        )
    )


def owned_room_with(
    session: Session, owner_user_id: int, network: str, contact_id: int
) -> Room | None:
    return session.scalar(
        select(Room)
        .join(RoomContact, RoomContact.room_id == Room.id)
        .where(
            Room.owner_user_id == owner_user_id,
            Room.network == network,
            RoomContact.contact_id == contact_id,
        )
        .order_by(Room.id)
        .limit(1)
    )


def whatsapp_rooms(session: Session, sender_id: int, contact_ids: Sequence[int]) -> list[Room]:
    """Rooms of the sender holding any of the contacts (where an inbound message belongs)."""
    return list(
        session.scalars(
            select(Room)
            .join(RoomContact, RoomContact.room_id == Room.id)
            .where(Room.sender_id == sender_id, RoomContact.contact_id.in_(list(contact_ids)))
            .distinct()
            .order_by(Room.id)
        )
    )


def first_active_user(session: Session, workspace_id: int) -> User | None:
    return session.scalar(
        select(User)
        .where(User.workspace_id == workspace_id, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )


def whatsapp_contacts(session: Session, workspace_id: int, phone: str) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact).where(
                Contact.workspace_id == workspace_id,
                Contact.network == "WHATSAPP",
                Contact.phone == phone,
            )
        )
    )


def rooms_to_recheck(session: Session, networks: Sequence[str], now: datetime) -> list[int]:
    """ACTIVE rooms where a contact's window has lapsed, and LIMITED rooms (may be open now)."""
    lapsed = (
        select(Room.id)
        .join(RoomContact, RoomContact.room_id == Room.id)
        .join(Contact, Contact.id == RoomContact.contact_id)
        .where(
            Room.status == "ACTIVE",
            Room.network.in_(list(networks)),
            (Contact.window_expires_at.is_(None)) | (Contact.window_expires_at <= now),
        )
    )
    limited = select(Room.id).where(Room.status == "LIMITED")
    return sorted(set(session.scalars(lapsed)) | set(session.scalars(limited)))


# --- messages ------------------------------------------------------------------------------


def insert_message(session: Session, message: RoomMessage) -> RoomMessage | None:
    """Insert; None when (room, wamid) is already there (a duplicate delivery)."""
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        return None
    return message


def message(session: Session, message_id: int) -> RoomMessage | None:
    return session.scalar(
        select(RoomMessage)
        .where(RoomMessage.id == message_id)
        .execution_options(populate_existing=True)
    )


def message_by_wamid(session: Session, wamid: str) -> RoomMessage | None:
    return session.scalar(
        select(RoomMessage)
        .where(RoomMessage.wamid == wamid, RoomMessage.direction == "OUT")
        .order_by(RoomMessage.id)
        .limit(1)
        .execution_options(populate_existing=True)
    )


def out_messages_by_wamid(session: Session, wamids: Sequence[str]) -> dict[str, RoomMessage]:
    """``message_by_wamid`` for many wamids in one query (a status batch): the first outgoing
    message of each wamid found; wamids of no room message are absent."""
    found: dict[str, RoomMessage] = {}
    unique = sorted(set(wamids))
    for lo in range(0, len(unique), 500):
        rows = session.scalars(
            select(RoomMessage)
            .where(RoomMessage.wamid.in_(unique[lo : lo + 500]), RoomMessage.direction == "OUT")
            .order_by(RoomMessage.id)
            .execution_options(populate_existing=True)
        )
        for message in rows:
            found.setdefault(str(message.wamid), message)
    return found


def inbound_by_wamid(session: Session, workspace_id: int, wamid: str) -> RoomMessage | None:
    return session.scalar(
        select(RoomMessage)
        .where(
            RoomMessage.workspace_id == workspace_id,
            RoomMessage.wamid == wamid,
            RoomMessage.direction == "IN",
        )
        .order_by(RoomMessage.id)
        .limit(1)
    )


def messages(
    session: Session, room_id: int, *, after_id: int | None, limit: int, include_held: bool
) -> list[RoomMessage]:
    query = select(RoomMessage).where(RoomMessage.room_id == room_id)
    if after_id is not None:
        query = query.where(RoomMessage.id > after_id)
    if not include_held:
        query = query.where(RoomMessage.status != MessageStatus.HELD)
    return list(session.scalars(query.order_by(RoomMessage.id).limit(limit)))


def has_message_of_kind(
    session: Session, room_id: int, contact_id: int, kind: str, *, failed_too: bool = True
) -> bool:
    """Whether the room has a message of ``kind`` for the contact (``failed_too=False``: one
    that did not fail)."""
    query = select(RoomMessage.id).where(
        RoomMessage.room_id == room_id,
        RoomMessage.contact_id == contact_id,
        RoomMessage.kind == kind,
    )
    if not failed_too:
        query = query.where(RoomMessage.status != MessageStatus.FAILED)
    return session.scalar(query.limit(1)) is not None


def held_messages(session: Session, contact_id: int) -> list[RoomMessage]:
    return list(
        session.scalars(
            select(RoomMessage)
            .where(
                RoomMessage.contact_id == contact_id,
                RoomMessage.status == MessageStatus.HELD,
            )
            .order_by(RoomMessage.id)
        )
    )


def _due(now: datetime) -> Any:
    return or_(RoomMessage.next_attempt_at.is_(None), RoomMessage.next_attempt_at <= now)


def unclaimed(session: Session, now: datetime, limit: int) -> list[int]:
    """PENDING messages nobody claimed, whose retry (if any) is due."""
    return list(
        session.scalars(
            select(RoomMessage.id)
            .where(
                RoomMessage.status == MessageStatus.PENDING,
                RoomMessage.claimed_at.is_(None),
                _due(now),
            )
            .order_by(RoomMessage.id)
            .limit(limit)
        )
    )


def claim(session: Session, ids: Sequence[int], at: datetime) -> list[int]:
    """Compare-and-set: only PENDING, unclaimed, due messages are taken (exactly one claimer
    wins); each claim counts an attempt."""
    if not ids:
        return []
    rows = session.execute(
        update(RoomMessage)
        .where(
            RoomMessage.id.in_(list(ids)),
            RoomMessage.status == MessageStatus.PENDING,
            RoomMessage.claimed_at.is_(None),
            _due(at),
        )
        .values(claimed_at=at, attempts=RoomMessage.attempts + 1)
        .returning(RoomMessage.id),
        execution_options={"synchronize_session": False},
    ).all()
    return [int(r[0]) for r in rows]


def last_of_kind_failed(session: Session, contact_id: int, kind: str) -> bool:
    """Whether the contact's latest message of ``kind`` (any room) is FAILED."""
    status = session.scalar(
        select(RoomMessage.status)
        .where(RoomMessage.contact_id == contact_id, RoomMessage.kind == kind)
        .order_by(RoomMessage.id.desc())
        .limit(1)
    )
    return status == MessageStatus.FAILED


def release_waiting(session: Session, contact_id: int, note: str) -> list[int]:
    """The contact's outbound messages put back to wait (``note``), due again now; their ids."""
    rows = session.execute(
        update(RoomMessage)
        .where(
            RoomMessage.contact_id == contact_id,
            RoomMessage.direction == "OUT",
            RoomMessage.status == MessageStatus.PENDING,
            RoomMessage.claimed_at.is_(None),
            RoomMessage.error_title == note,
        )
        .values(next_attempt_at=None, error_title=None)
        .returning(RoomMessage.id),
        execution_options={"synchronize_session": False},
    ).all()
    return sorted(int(r[0]) for r in rows)


def stale_claims(session: Session, before: datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(RoomMessage.id)
            .where(
                RoomMessage.status == MessageStatus.PENDING,
                RoomMessage.claimed_at.is_not(None),
                RoomMessage.claimed_at < before,
            )
            .order_by(RoomMessage.id)
            .limit(limit)
        )
    )


def clear_error(session: Session, message_id: int) -> None:
    """The provider accepted it after a transient error: the last error no longer stands."""
    session.execute(
        update(RoomMessage)
        .where(
            RoomMessage.id == message_id,
            RoomMessage.error_code.is_not(None),
            RoomMessage.status != MessageStatus.FAILED,
        )
        .values(error_code=None, error_title=None, next_attempt_at=None),
        execution_options={"synchronize_session": False},
    )


def set_wamid(session: Session, message_id: int, wamid: str) -> None:
    session.execute(
        update(RoomMessage)
        .where(RoomMessage.id == message_id, RoomMessage.wamid.is_(None))
        .values(wamid=wamid),
        execution_options={"synchronize_session": False},
    )


def lock_phone(session: Session, network: str, phone: str) -> None:
    """Serialise inbound handling per caller (PostgreSQL: a transaction-scoped advisory lock;
    SQLite writers are serialised by BEGIN IMMEDIATE already), so two deliveries of one message,
    or two first messages of one unknown number, cannot create two contacts or two rooms."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"direct|{network}|{phone}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def is_blocked(session: Session, user_id: int, phone: str) -> bool:
    return (
        session.scalar(
            select(BlockedNumber.id).where(
                BlockedNumber.user_id == user_id, BlockedNumber.phone == phone
            )
        )
        is not None
    )


def contacts_by_network_user(
    session: Session, workspace_id: int, network: str, network_user_id: str
) -> list[Contact]:
    """LINE / WeChat: the workspace's contacts linked to that person's network address."""
    return list(
        session.scalars(
            select(Contact)
            .where(
                Contact.workspace_id == workspace_id,
                Contact.network == network,
                Contact.network_user_id == network_user_id,
            )
            .order_by(Contact.id)
        )
    )


def sender_with_phone(session: Session, workspace_id: int, phone: str) -> Sender | None:
    """WhatsApp Direct: the workspace's Cloud API number whose display number is ``phone``
    (E.164; Meta writes display numbers with or without +, spaces and dashes)."""
    digits = phone.lstrip("+")
    for sender in session.scalars(
        select(Sender).where(Sender.workspace_id == workspace_id).order_by(Sender.id)
    ):
        if "".join(c for c in sender.display_phone_number if c.isdigit()) == digits:
            return sender
    return None
