"""Outgoing events: subscriptions, fan-out from the outbox, delivery bookkeeping, replay, pruning.

The flow (DESIGN.md §4): a status change writes an ``outbox_events`` row in its own transaction.
``fan_out`` copies new rows into one ``event_deliveries`` row per matching subscription and moves
that subscription's cursor; the deliverer loop claims due deliveries, posts them (no transaction
open) and records the outcome with ``record_outcome``. Ordering and retries: docs/events.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from relaybird.auth.service import Principal
from relaybird.db import Database
from relaybird.errors import InvalidInput, NotFound, found
from relaybird.events import repository as repo
from relaybird.events.repository import DELIVERED, FAILED, PENDING, DueDelivery
from relaybird.events.signing import new_secret
from relaybird.kit import destinations
from relaybird.kit.destinations import Network
from relaybird.models import EventDelivery, EventSubscription

# "campaign.state_changed", or every type of one entity: "recipient.*".
_TYPE = re.compile(r"[a-z][a-z_]*\.(\*|[a-z][a-z_]*)")
FANOUT_BATCH = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: 5 s, 10 s, 20 s, ... capped at 6 h between attempts, for 3 days from
    the first attempt; after that the delivery is FAILED (and can be replayed)."""

    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(hours=6)
    give_up_after: timedelta = timedelta(days=3)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1-based)."""
        exponent = min(max(attempts - 1, 0), 30)
        return min(self.cap, self.base * (1 << exponent))


@dataclass(frozen=True)
class CreatedSubscription:
    subscription: EventSubscription
    secret: str


def matches(event_types: Sequence[str] | None, event_type: str) -> bool:
    if not event_types:
        return True
    entity = event_type.split(".", 1)[0]
    return any(t == event_type or t == f"{entity}.*" for t in event_types)


def create_subscription(
    session: Session,
    principal: Principal,
    *,
    url: str,
    event_types: list[str] | None,
    at: datetime,
    allowed: Sequence[Network],
) -> CreatedSubscription:
    """``allowed``: the operator's private networks (RELAYBIRD_EVENT_PRIVATE_NETWORKS); the URL
    must follow kit/destinations.py's rule (checked again on every delivery)."""
    try:
        destinations.check(url, allowed)
    except destinations.DestinationError as exc:
        raise InvalidInput(str(exc)) from exc
    if event_types is not None:
        bad = [t for t in event_types if not _TYPE.fullmatch(t)]
        if bad:
            raise InvalidInput(
                f"event type {bad[0]!r} is not like 'campaign.state_changed' or 'recipient.*'"
            )
    secret = new_secret()
    # A new subscription receives events from now on (replay covers its own history only).
    sub = repo.add_subscription(
        session,
        workspace_id=principal.workspace_id,
        url=url,
        secret=secret,
        event_types=sorted(set(event_types)) if event_types else None,
        cursor=repo.max_outbox_id(session),
        at=at,
    )
    return CreatedSubscription(sub, secret)


def get_subscription(session: Session, principal: Principal, sub_id: int) -> EventSubscription:
    return found(
        repo.subscription(session, principal.workspace_id, sub_id), f"event subscription {sub_id}"
    )


def list_subscriptions(
    session: Session, principal: Principal, **bounds: int | None
) -> list[EventSubscription]:
    return repo.subscriptions(session, principal.workspace_id, **bounds)


def delete_subscription(session: Session, principal: Principal, sub_id: int) -> None:
    if not repo.delete_subscription(session, principal.workspace_id, sub_id):
        raise NotFound(f"event subscription {sub_id} not found")


def list_deliveries(
    session: Session,
    principal: Principal,
    sub_id: int,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[tuple[EventDelivery, str]], str | None]:
    """The delivery log, oldest first, with each event's type."""
    get_subscription(session, principal, sub_id)
    if status is not None and status not in (PENDING, DELIVERED, FAILED):
        raise InvalidInput("status must be PENDING, DELIVERED or FAILED")
    page = repo.deliveries(session, sub_id, status=status, cursor=cursor, limit=limit)
    types = repo.event_types_of(session, [d.event_id for d in page.items])
    return [(d, types.get(d.event_id, "?")) for d in page.items], page.next_cursor


def replay(
    session: Session,
    principal: Principal,
    sub_id: int,
    *,
    statuses: Sequence[str] = (FAILED,),
    since: datetime | None = None,
    delivery_ids: Sequence[int] | None = None,
    at: datetime,
) -> int:
    """Queue the events of finished deliveries again, as new deliveries (the old rows stay in the
    log). The events keep their webhook-id, so receivers can drop ones they already processed."""
    sub = get_subscription(session, principal, sub_id)
    bad = [s for s in statuses if s not in (DELIVERED, FAILED)]
    if bad or not statuses:
        raise InvalidInput("statuses must be DELIVERED and/or FAILED")
    event_ids = repo.replayable_event_ids(
        session, sub.id, statuses=statuses, since=since, delivery_ids=delivery_ids
    )
    repo.add_deliveries(session, sub.id, event_ids, at)
    return len(event_ids)


def fan_out(db: Database, *, at: datetime, batch: int = FANOUT_BATCH) -> int:
    """Copy new outbox rows into deliveries for every active subscription; returns how many
    deliveries were created. Several workers may run it at once: cursors move by compare-and-set.
    Runs its own short transactions (it is a loop step, not a service called inside one)."""
    with db.read() as session:
        subs = [
            (s.id, s.workspace_id, s.cursor, s.event_types)
            for s in repo.active_subscriptions(session)
        ]
        upto = repo.max_outbox_id(session)
    if not subs or upto <= min(s[2] for s in subs):
        return 0
    if db.is_postgres:
        with db.write() as session:
            repo.wait_for_outbox_writers(session)
    created = 0
    for sub_id, workspace_id, cursor, types in subs:
        while cursor < upto:
            with db.write() as session:
                rows = repo.events_after(session, workspace_id, cursor, upto, batch)
                new_cursor = rows[-1][0] if len(rows) == batch else upto
                if not repo.advance_cursor(session, sub_id, cursor, new_cursor):
                    break  # another worker fanned this range out
                wanted = [event_id for event_id, type_ in rows if matches(types, type_)]
                repo.add_deliveries(session, sub_id, wanted, at)
                created += len(wanted)
            cursor = new_cursor
    return created


def claim(
    session: Session, *, now: datetime, lease: timedelta, limit: int, skip_locked: bool
) -> list[DueDelivery]:
    return repo.claim_due(
        session, now=now, lease_until=now + lease, limit=limit, skip_locked=skip_locked
    )


def body_of(delivery: DueDelivery) -> bytes:
    """The JSON posted to subscribers (schema in docs/events.md)."""
    payload: dict[str, Any] = delivery.payload
    document = {
        "id": webhook_id(delivery.event_id),
        "type": delivery.event_type,
        "timestamp": payload.get("occurred_at"),
        "workspace_id": delivery.workspace_id,
        "entity": delivery.entity,
        "entity_id": delivery.entity_id,
        "data": payload.get("data", {}),
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def webhook_id(event_id: int) -> str:
    return f"evt_{event_id}"


def record_outcome(
    session: Session,
    delivery: DueDelivery,
    *,
    status_code: int | None,
    error: str | None,
    ok: bool,
    at: datetime,
    policy: RetryPolicy,
) -> str:
    """Write one attempt's outcome; returns the delivery's new status."""
    attempts = delivery.attempts + 1
    if ok:
        repo.record_attempt(
            session,
            delivery.id,
            status=DELIVERED,
            attempts=attempts,
            next_attempt_at=None,
            status_code=status_code,
            error=None,
            delivered_at=at,
        )
        return DELIVERED
    next_at = at + policy.delay(attempts)
    gave_up = next_at > delivery.created_at + policy.give_up_after
    repo.record_attempt(
        session,
        delivery.id,
        status=FAILED if gave_up else PENDING,
        attempts=attempts,
        next_attempt_at=None if gave_up else next_at,
        status_code=status_code,
        error=error,
        delivered_at=None,
    )
    return FAILED if gave_up else PENDING


def prune(db: Database, *, before: datetime, batch: int = 5000) -> int:
    """Delete outbox rows older than ``before`` that every subscription has received (with their
    finished deliveries); returns how many events went. Batched so no transaction grows large."""
    total = 0
    while True:
        with db.write() as session:
            ids = repo.prunable_event_ids(session, before, batch)
            total += repo.delete_events(session, ids)
        if len(ids) < batch:
            return total
