"""SQL of the webhook inbox: store once, claim due rows, mark them, replay, prune."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaybird.models import InboxEvent
from relaybird.models.inbox import InboxStatus

PENDING = InboxStatus.PENDING
APPLIED = InboxStatus.APPLIED
RETRY = InboxStatus.RETRY
FAILED = InboxStatus.FAILED
DUE_STATES = (PENDING, RETRY)


@dataclass(frozen=True)
class NewEvent:
    source: str
    dedupe_key: str
    body: bytes
    received_at: datetime


@dataclass(frozen=True)
class StoredEvent:
    id: int
    source: str
    body: bytes
    attempts: int


def insert_ignore(session: Session, events: Sequence[NewEvent]) -> int:
    """Insert the events whose dedupe key is new; return how many were new.

    One executemany of a statement compiled once (the receiver's group commit calls this for
    every batch of concurrent POSTs: a multi-row VALUES of a new length each time was compiled
    afresh, a cost the request paid)."""
    unique = {e.dedupe_key: e for e in events}
    if not unique:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = InboxEvent.__table__
    assert isinstance(table, Table)
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = session.connection().execute(
        stmt,
        [
            {
                "source": e.source,
                "dedupe_key": e.dedupe_key,
                "body": e.body,
                "status": PENDING,
                "attempts": 0,
                "received_at": e.received_at,
            }
            for e in unique.values()
        ],
    )
    return max(0, int(result.rowcount))


def due_candidates(session: Session, now: datetime, limit: int) -> list[StoredEvent]:
    """Rows due for applying, oldest first (read without locks; ``lock_due`` takes them).

    One query per (status, fresh or retried) so each walks the due index in id order and stops
    after ``limit`` rows: with an OR over the index the database reads every due row (bodies
    included) and sorts them, which with a backlog of tens of thousands costs more than applying
    the batch. Only the ids are sorted here; the bodies of the chosen rows are read after."""
    heads: list[int] = []
    for status in DUE_STATES:
        for when in (InboxEvent.next_attempt_at.is_(None), InboxEvent.next_attempt_at <= now):
            heads.extend(
                session.scalars(
                    select(InboxEvent.id)
                    .where(InboxEvent.status == status, when)
                    .order_by(InboxEvent.id)
                    .limit(limit)
                )
            )
    chosen = sorted(heads)[:limit]
    if not chosen:
        return []
    rows = session.execute(
        select(InboxEvent.id, InboxEvent.source, InboxEvent.body, InboxEvent.attempts)
        .where(InboxEvent.id.in_(chosen))
        .order_by(InboxEvent.id)
    ).all()
    return [StoredEvent(int(r[0]), r[1], bytes(r[2]), int(r[3])) for r in rows]


def lock_due(session: Session, ids: Sequence[int], now: datetime) -> set[int]:
    """Of ``ids``, those still due, locked for this transaction. On PostgreSQL rows another worker
    holds are skipped (SKIP LOCKED); on SQLite the write transaction already excludes others."""
    if not ids:
        return set()
    stmt = select(InboxEvent.id).where(InboxEvent.id.in_(list(ids)), _due(now))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return {int(i) for i in session.scalars(stmt)}


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return InboxEvent.status.in_(DUE_STATES) & or_(
        InboxEvent.next_attempt_at.is_(None), InboxEvent.next_attempt_at <= now
    )


def mark_applied(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.execute(
            update(InboxEvent)
            .where(InboxEvent.id.in_(list(ids)))
            .values(status=APPLIED, applied_at=now, next_attempt_at=None, last_error=None),
            execution_options={"synchronize_session": False},
        )


def mark_retry(
    session: Session, event_id: int, *, attempts: int, next_at: datetime | None, error: str
) -> None:
    """``next_at`` None: attempts are exhausted, the row is FAILED (kept for replay)."""
    session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id)
        .values(
            status=RETRY if next_at is not None else FAILED,
            attempts=attempts,
            next_attempt_at=next_at,
            last_error=error[:2000],
        ),
        execution_options={"synchronize_session": False},
    )


def requeue(
    session: Session,
    *,
    ids: Sequence[int] = (),
    since: datetime | None = None,
    statuses: Sequence[str] = (APPLIED, FAILED),
) -> int:
    """Make stored rows due again (replay): by id, or every row received since ``since``."""
    stmt = update(InboxEvent).where(InboxEvent.status.in_(list(statuses)))
    if ids:
        stmt = stmt.where(InboxEvent.id.in_(list(ids)))
    if since is not None:
        stmt = stmt.where(InboxEvent.received_at >= since)
    result = session.execute(
        stmt.values(status=PENDING, attempts=0, next_attempt_at=None),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def prune(session: Session, before: datetime) -> int:
    """Delete applied rows received before ``before``. FAILED rows stay until replayed or
    handled by a human; pending ones are never pruned."""
    result = session.execute(
        delete(InboxEvent).where(InboxEvent.status == APPLIED, InboxEvent.received_at < before),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(InboxEvent.status, func.count()).group_by(InboxEvent.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


def get(session: Session, event_id: int) -> InboxEvent | None:
    return session.get(InboxEvent, event_id)


def failed_after(session: Session, after_id: int, limit: int) -> list[InboxEvent]:
    """FAILED rows (dead letters) with an id above ``after_id``, oldest first."""
    return list(
        session.scalars(
            select(InboxEvent)
            .where(InboxEvent.status == FAILED, InboxEvent.id > after_id)
            .order_by(InboxEvent.id)
            .limit(limit)
        )
    )
