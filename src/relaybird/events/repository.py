"""SQL for outgoing events: subscriptions, the outbox scan, the delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, select, text, update
from sqlalchemy.orm import Session

from relaybird.kit.pagination import Page, paginate, window
from relaybird.models import EventDelivery, EventSubscription, OutboxEvent
from relaybird.models.outbox import DeliveryStatus

PENDING = DeliveryStatus.PENDING
DELIVERED = DeliveryStatus.DELIVERED
FAILED = DeliveryStatus.FAILED


@dataclass(frozen=True)
class DueDelivery:
    """Everything a delivery attempt needs, read in the claim transaction."""

    id: int
    subscription_id: int
    event_id: int
    attempts: int
    created_at: datetime
    url: str
    secret: str
    event_type: str
    entity: str
    entity_id: int
    workspace_id: int
    payload: dict[str, Any]


def add_subscription(
    session: Session,
    *,
    workspace_id: int,
    url: str,
    secret: str,
    event_types: list[str] | None,
    cursor: int,
    at: datetime,
) -> EventSubscription:
    sub = EventSubscription(
        workspace_id=workspace_id,
        url=url,
        secret=secret,
        event_types=event_types,
        active=True,
        cursor=cursor,
        created_at=at,
    )
    session.add(sub)
    session.flush()
    return sub


def subscription(session: Session, workspace_id: int, sub_id: int) -> EventSubscription | None:
    return session.scalar(
        select(EventSubscription).where(
            EventSubscription.id == sub_id, EventSubscription.workspace_id == workspace_id
        )
    )


def subscriptions(
    session: Session, workspace_id: int, **bounds: int | None
) -> list[EventSubscription]:
    query = select(EventSubscription).where(EventSubscription.workspace_id == workspace_id)
    return list(session.scalars(window(query, EventSubscription.id, **bounds)))


def active_subscriptions(session: Session) -> list[EventSubscription]:
    return list(
        session.scalars(
            select(EventSubscription)
            .where(EventSubscription.active.is_(True))
            .order_by(EventSubscription.id)
        )
    )


def delete_subscription(session: Session, workspace_id: int, sub_id: int) -> bool:
    # Deliveries go with it (ON DELETE CASCADE): the log belongs to the subscription.
    session.execute(delete(EventDelivery).where(EventDelivery.subscription_id == sub_id))
    result = session.execute(
        delete(EventSubscription).where(
            EventSubscription.id == sub_id, EventSubscription.workspace_id == workspace_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def max_outbox_id(session: Session) -> int:
    return int(session.scalar(select(func.max(OutboxEvent.id))) or 0)


def wait_for_outbox_writers(session: Session) -> None:
    """PostgreSQL: wait until every transaction that has inserted into the outbox has ended.

    Ids come from a sequence, so a transaction holding id 7 may commit after one holding id 8; a
    cursor that moved past 8 would never see 7. SHARE mode conflicts with the ROW EXCLUSIVE lock
    an INSERT holds until its transaction ends, so taking (and at once releasing) it is a barrier:
    every id at or below a maximum read *before* the barrier is then committed or gone for good.
    SQLite needs none: its writers are serialised, so ids commit in order.
    """
    session.execute(text("LOCK TABLE outbox_events IN SHARE MODE"))


def events_after(
    session: Session, workspace_id: int, after: int, upto: int, limit: int
) -> list[tuple[int, str]]:
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.type)
        .where(
            OutboxEvent.workspace_id == workspace_id,
            OutboxEvent.id > after,
            OutboxEvent.id <= upto,
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
    ).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def advance_cursor(session: Session, sub_id: int, observed: int, new: int) -> bool:
    """Compare-and-set: only one fan-out (of several workers) moves a cursor past a range."""
    result = session.execute(
        update(EventSubscription)
        .where(EventSubscription.id == sub_id, EventSubscription.cursor == observed)
        .values(cursor=new)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def add_deliveries(session: Session, sub_id: int, event_ids: Sequence[int], at: datetime) -> None:
    if not event_ids:
        return
    session.execute(
        insert(EventDelivery),
        [
            {
                "subscription_id": sub_id,
                "event_id": event_id,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
            for event_id in event_ids
        ],
    )


def claim_due(
    session: Session, *, now: datetime, lease_until: datetime, limit: int, skip_locked: bool
) -> list[DueDelivery]:
    """Take due deliveries and push their next attempt to ``lease_until``: if this process dies
    mid-send they come due again after the lease instead of being lost."""
    query = (
        select(EventDelivery.id)
        .where(EventDelivery.status == PENDING, EventDelivery.next_attempt_at <= now)
        .order_by(EventDelivery.next_attempt_at, EventDelivery.id)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(EventDelivery)
        .where(EventDelivery.id.in_(ids))
        .values(next_attempt_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(EventDelivery, EventSubscription.url, EventSubscription.secret, OutboxEvent)
        .join(EventSubscription, EventSubscription.id == EventDelivery.subscription_id)
        .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
        .where(EventDelivery.id.in_(ids))
        .order_by(EventDelivery.event_id)
    ).all()
    return [
        DueDelivery(
            id=d.id,
            subscription_id=d.subscription_id,
            event_id=d.event_id,
            attempts=d.attempts,
            created_at=d.created_at,
            url=url,
            secret=secret,
            event_type=ev.type,
            entity=ev.entity,
            entity_id=ev.entity_id,
            workspace_id=ev.workspace_id,
            payload=ev.payload,
        )
        for d, url, secret, ev in rows
    ]


def record_attempt(
    session: Session,
    delivery_id: int,
    *,
    status: str,
    attempts: int,
    next_attempt_at: datetime | None,
    status_code: int | None,
    error: str | None,
    delivered_at: datetime | None,
) -> None:
    session.execute(
        update(EventDelivery)
        .where(EventDelivery.id == delivery_id, EventDelivery.status == PENDING)
        .values(
            status=status,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_status_code=status_code,
            last_error=error,
            delivered_at=delivered_at,
        )
        .execution_options(synchronize_session=False)
    )


def deliveries(
    session: Session, sub_id: int, *, status: str | None, cursor: str | None, limit: int
) -> Page[EventDelivery]:
    query = select(EventDelivery).where(EventDelivery.subscription_id == sub_id)
    if status is not None:
        query = query.where(EventDelivery.status == status)
    return paginate(session, query, EventDelivery.id, cursor=cursor, limit=limit)


def event_types_of(session: Session, event_ids: Sequence[int]) -> dict[int, str]:
    if not event_ids:
        return {}
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.type).where(OutboxEvent.id.in_(list(event_ids)))
    ).all()
    return {int(r[0]): str(r[1]) for r in rows}


def replayable_event_ids(
    session: Session,
    sub_id: int,
    *,
    statuses: Sequence[str],
    since: datetime | None,
    delivery_ids: Sequence[int] | None,
) -> list[int]:
    """Distinct events of this subscription's finished deliveries that match the filter and have
    no delivery still pending (a pending one will be sent anyway)."""
    pending = (
        select(EventDelivery.id)
        .where(
            EventDelivery.subscription_id == sub_id,
            EventDelivery.event_id == OutboxEvent.id,
            EventDelivery.status == PENDING,
        )
        .correlate(OutboxEvent)
    )
    query = (
        select(OutboxEvent.id)
        .join(
            EventDelivery,
            and_(EventDelivery.event_id == OutboxEvent.id, EventDelivery.subscription_id == sub_id),
        )
        .where(EventDelivery.status.in_(list(statuses)), ~exists(pending))
        .distinct()
        .order_by(OutboxEvent.id)
    )
    if since is not None:
        query = query.where(OutboxEvent.created_at >= since)
    if delivery_ids is not None:
        query = query.where(EventDelivery.id.in_(list(delivery_ids)))
    return [int(i) for i in session.scalars(query)]


def prunable_event_ids(session: Session, before: datetime, limit: int) -> list[int]:
    """Outbox rows older than ``before`` that every subscription has fanned out and that have no
    delivery still pending."""
    # Inactive subscriptions never advance, so they must not hold the outbox forever.
    active = EventSubscription.active.is_(True)
    min_cursor = select(func.min(EventSubscription.cursor)).where(active).scalar_subquery()
    has_subs = exists(select(EventSubscription.id).where(active))
    pending = exists(
        select(EventDelivery.id).where(
            EventDelivery.event_id == OutboxEvent.id, EventDelivery.status == PENDING
        )
    )
    query = (
        select(OutboxEvent.id)
        .where(OutboxEvent.created_at < before, ~pending)
        .where(~has_subs | (OutboxEvent.id <= min_cursor))
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return [int(i) for i in session.scalars(query)]


def delete_events(session: Session, event_ids: Sequence[int]) -> int:
    if not event_ids:
        return 0
    ids = list(event_ids)
    session.execute(delete(EventDelivery).where(EventDelivery.event_id.in_(ids)))
    result = session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
    return int(result.rowcount)  # type: ignore[attr-defined]


def delivery_counts(session: Session, sub_id: int) -> dict[str, int]:
    rows = session.execute(
        select(EventDelivery.status, func.count())
        .where(EventDelivery.subscription_id == sub_id)
        .group_by(EventDelivery.status)
    ).all()
    return {str(r[0]): int(r[1]) for r in rows}
