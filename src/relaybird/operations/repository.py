"""Read-only aggregates across the domains' tables (no writes here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaybird.models import (
    BlockedNumber,
    Campaign,
    CampaignCount,
    Contact,
    EventDelivery,
    InboxEvent,
    OutgoingEmail,
    Room,
    RoomContact,
    RoomMember,
    RoomMessage,
    Sender,
    User,
)
from relaybird.models.inbox import InboxStatus
from relaybird.models.outbox import DeliveryStatus


def recipient_totals(session: Session) -> dict[str, int]:
    """Recipients per state over every campaign, from the counters (a few rows per campaign)."""
    rows = session.execute(
        select(CampaignCount.state, func.sum(CampaignCount.count)).group_by(CampaignCount.state)
    ).all()
    return {str(r[0]): int(r[1] or 0) for r in rows}


def campaign_states(session: Session) -> dict[str, int]:
    rows = session.execute(select(Campaign.state, func.count()).group_by(Campaign.state)).all()
    return {str(r[0]): int(r[1]) for r in rows}


def senders(session: Session, workspace_id: int | None = None) -> list[Sender]:
    query = select(Sender).order_by(Sender.id)
    if workspace_id is not None:
        query = query.where(Sender.workspace_id == workspace_id)
    return list(session.scalars(query))


def campaigns_in(
    session: Session, states: tuple[str, ...], workspace_id: int | None
) -> list[Campaign]:
    query = select(Campaign).where(Campaign.state.in_(states)).order_by(Campaign.id)
    if workspace_id is not None:
        query = query.where(Campaign.workspace_id == workspace_id)
    return list(session.scalars(query))


def inbox_depth(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(InboxEvent.status, func.count())
        .where(InboxEvent.status.in_((InboxStatus.PENDING, InboxStatus.RETRY, InboxStatus.FAILED)))
        .group_by(InboxEvent.status)
    ).all()
    return {str(r[0]): int(r[1]) for r in rows}


def oldest_unapplied_webhook(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(InboxEvent.received_at)).where(
            InboxEvent.status.in_((InboxStatus.PENDING, InboxStatus.RETRY))
        )
    )


def event_deliveries(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(EventDelivery.status, func.count()).group_by(EventDelivery.status)
    ).all()
    return {str(r[0]): int(r[1]) for r in rows}


def oldest_pending_delivery(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(EventDelivery.created_at)).where(
            EventDelivery.status == DeliveryStatus.PENDING
        )
    )


def emails(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutgoingEmail.status, func.count()).group_by(OutgoingEmail.status)
    ).all()
    return {str(r[0]): int(r[1]) for r in rows}


def contact_matrix(session: Session, workspace_id: int) -> dict[tuple[str, str | None], int]:
    rows = session.execute(
        select(Contact.network, Contact.status, func.count())
        .where(Contact.workspace_id == workspace_id)
        .group_by(Contact.network, Contact.status)
    ).all()
    return {(str(r[0]), r[1]): int(r[2]) for r in rows}


def contacts(
    session: Session,
    workspace_id: int,
    *,
    network: str | None,
    status: str | None,
    no_status: bool,
    after_id: int | None,
    limit: int,
) -> list[Contact]:
    query = select(Contact).where(Contact.workspace_id == workspace_id)
    if network:
        query = query.where(Contact.network == network)
    if no_status:
        query = query.where(Contact.status.is_(None))
    elif status:
        query = query.where(Contact.status == status)
    if after_id is not None:
        query = query.where(Contact.id > after_id)
    return list(session.scalars(query.order_by(Contact.id).limit(limit)))


def emails_of_kind(
    session: Session, workspace_id: int, kind: str, limit: int
) -> list[OutgoingEmail]:
    return list(
        session.scalars(
            select(OutgoingEmail)
            .where(OutgoingEmail.workspace_id == workspace_id, OutgoingEmail.kind == kind)
            .order_by(OutgoingEmail.id.desc())
            .limit(limit)
        )
    )


def blocked_numbers(
    session: Session, workspace_id: int, limit: int
) -> list[tuple[BlockedNumber, str]]:
    rows = session.execute(
        select(BlockedNumber, User.name)
        .join(User, User.id == BlockedNumber.user_id)
        .where(BlockedNumber.workspace_id == workspace_id)
        .order_by(BlockedNumber.id.desc())
        .limit(limit)
    ).all()
    return [(r[0], str(r[1])) for r in rows]


def users(session: Session, workspace_id: int) -> list[User]:
    return list(
        session.scalars(select(User).where(User.workspace_id == workspace_id).order_by(User.id))
    )


def rooms(session: Session, workspace_id: int) -> list[tuple[Room, int, int]]:
    """Rooms with their member and contact counts."""
    members = (
        select(func.count()).where(RoomMember.room_id == Room.id).correlate(Room).scalar_subquery()
    )
    contacts_n = (
        select(func.count()).where(RoomContact.room_id == Room.id).correlate(Room).scalar_subquery()
    )
    rows = session.execute(
        select(Room, members, contacts_n).where(Room.workspace_id == workspace_id).order_by(Room.id)
    ).all()
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


def room(session: Session, workspace_id: int, room_id: int) -> Room | None:
    return session.scalar(select(Room).where(Room.id == room_id, Room.workspace_id == workspace_id))


def room_members(session: Session, room_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(RoomMember, RoomMember.user_id == User.id)
            .where(RoomMember.room_id == room_id)
        )
    )


def room_contacts(session: Session, room_id: int) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .join(RoomContact, RoomContact.contact_id == Contact.id)
            .where(RoomContact.room_id == room_id)
        )
    )


def room_messages(session: Session, room_id: int, limit: int) -> list[RoomMessage]:
    rows = list(
        session.scalars(
            select(RoomMessage)
            .where(RoomMessage.room_id == room_id)
            .order_by(RoomMessage.id.desc())
            .limit(limit)
        )
    )
    return list(reversed(rows))
