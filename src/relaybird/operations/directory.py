"""Read model for the dashboard's contacts and rooms pages: contacts by network and status, the
invitation outbox, block lists, rooms with members, messages and the customer-service window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.errors import found
from relaybird.models import BlockedNumber, Contact, OutgoingEmail, Room, RoomMessage, User
from relaybird.operations import repository as repo


@dataclass(frozen=True)
class Matrix:
    networks: list[str]
    statuses: list[str | None]
    counts: dict[tuple[str, str | None], int]

    def total(self, network: str) -> int:
        return sum(n for (net, _), n in self.counts.items() if net == network)


def contact_matrix(session: Session, workspace_id: int) -> Matrix:
    counts = repo.contact_matrix(session, workspace_id)
    networks = sorted({net for net, _ in counts})
    named = sorted({st for _, st in counts if st is not None})
    statuses: list[str | None] = [*named, None] if any(st is None for _, st in counts) else [*named]
    return Matrix(networks, statuses, counts)


def contacts(
    session: Session,
    workspace_id: int,
    *,
    network: str | None,
    status: str | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[Contact], int | None]:
    no_status = status == "NONE"
    rows = repo.contacts(
        session,
        workspace_id,
        network=network,
        status=None if no_status else status,
        no_status=no_status,
        after_id=after_id,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def invitation_outbox(session: Session, workspace_id: int, limit: int = 50) -> list[OutgoingEmail]:
    return repo.emails_of_kind(session, workspace_id, "invitation", limit)


def block_lists(
    session: Session, workspace_id: int, limit: int = 100
) -> list[tuple[BlockedNumber, str]]:
    return repo.blocked_numbers(session, workspace_id, limit)


def users(session: Session, workspace_id: int) -> dict[int, User]:
    return {u.id: u for u in repo.users(session, workspace_id)}


@dataclass(frozen=True)
class RoomView:
    room: Room
    members: list[User]
    contacts: list[Contact]
    messages: list[RoomMessage]

    def window_open(self, contact: Contact, now: datetime) -> bool:
        return contact.window_expires_at is not None and contact.window_expires_at > now


def rooms(session: Session, workspace_id: int) -> list[tuple[Room, int, int]]:
    return repo.rooms(session, workspace_id)


def room_view(session: Session, workspace_id: int, room_id: int, limit: int = 200) -> RoomView:
    room = found(repo.room(session, workspace_id, room_id), f"room {room_id}")
    return RoomView(
        room,
        repo.room_members(session, room_id),
        repo.room_contacts(session, room_id),
        repo.room_messages(session, room_id, limit),
    )
