"""Writing events into the transactional outbox (always inside the caller's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relaybird.db.bulk import insert_rows
from relaybird.db.notify import OUTBOX, notify
from relaybird.kit.time import rfc3339, utcnow
from relaybird.models import OutboxEvent


def emit(
    session: Session,
    *,
    workspace_id: int,
    type: str,
    entity: str,
    entity_id: int,
    data: dict[str, Any],
    at: datetime | None = None,
) -> None:
    emit_many(session, [(workspace_id, type, entity, entity_id, data)], at=at)


def emit_many(
    session: Session,
    events: Sequence[tuple[int, str, str, int, dict[str, Any]]],
    *,
    at: datetime | None = None,
) -> None:
    """Insert events (workspace_id, type, entity, entity_id, data) in one statement."""
    if not events:
        return
    when = at or utcnow()
    # Straight to the driver's executemany (db.bulk): batches of thousands skip the ORM.
    session.flush()
    stamp = rfc3339(when)
    notify(session, OUTBOX)
    insert_rows(
        session,
        OutboxEvent.__table__,  # type: ignore[arg-type]
        ("workspace_id", "type", "entity", "entity_id", "payload", "created_at"),
        [
            (
                ws,
                type_,
                entity,
                entity_id,
                {"type": type_, "occurred_at": stamp, "data": data},
                when,
            )
            for ws, type_, entity, entity_id, data in events
        ],
    )
