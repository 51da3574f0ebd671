"""Moving recipients: the only way a recipient's state changes, so the per-state counters
(campaign_counts) move in the same transaction as the rows they count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaybird.campaigns.transitions import RECIPIENT, RecipientEvent, RecipientState
from relaybird.db.bulk import insert_rows
from relaybird.events.transitions import Moved, apply_transition, move_many
from relaybird.models import CampaignCount, Recipient


def move_recipients(
    session: Session,
    ids: Sequence[int],
    *,
    source: RecipientState,
    event: RecipientEvent,
    target: RecipientState,
    actor: str,
    reason: str | None = None,
    error_code: int | None = None,
    values: Mapping[str, Any] | None = None,
    extra_where: Sequence[ColumnElement[bool]] = (),
    at: datetime | None = None,
) -> list[Moved]:
    """Batch move (see events.transitions.move_many); counters follow."""
    moved = move_many(
        session,
        RECIPIENT,
        Recipient,
        ids,
        source=source,
        event=event,
        target=target,
        actor=actor,
        reason=reason,
        error_code=error_code,
        values=values,
        extra_where=extra_where,
        returning=("campaign_id",),
        at=at,
    )
    bump_counts(session, moved)
    return moved


def move_recipient(
    session: Session,
    recipient_id: int,
    *,
    event: RecipientEvent,
    target: RecipientState | None = None,
    actor: str,
    workspace_id: int | None = None,
    reason: str | None = None,
    error_code: int | None = None,
    values: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Moved:
    """Single move with compare-and-set (see events.transitions.apply_transition)."""
    moved = apply_transition(
        session,
        RECIPIENT,
        Recipient,
        recipient_id,
        event=event,
        target=target,
        actor=actor,
        workspace_id=workspace_id,
        reason=reason,
        error_code=error_code,
        values=values,
        returning=("campaign_id",),
        at=at,
    )
    if moved.changed:
        bump_counts(session, [moved])
    return moved


def bump_counts(session: Session, moved: Sequence[Moved]) -> None:
    """Apply the counter deltas of ``moved`` (Moved.extra[0] is the campaign id)."""
    delta: Counter[tuple[int, str]] = Counter()
    for m in moved:
        if not m.changed:
            continue
        campaign_id = int(m.extra[0])
        if m.source is not None:
            delta[(campaign_id, m.source)] -= 1
        if m.target is not None:
            delta[(campaign_id, m.target)] += 1
    add_counts(session, delta)


def add_counts(session: Session, delta: Mapping[tuple[int, str], int]) -> None:
    """Upsert counter deltas, in a fixed order so concurrent writers never deadlock."""
    items = sorted((k, v) for k, v in delta.items() if v)
    if not items:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for (campaign_id, state), n in items:
        stmt = insert(CampaignCount).values(campaign_id=campaign_id, state=state, count=n)
        stmt = stmt.on_conflict_do_update(
            index_elements=["campaign_id", "state"],
            set_={"count": CampaignCount.count + n},
        )
        session.execute(stmt)


def touch(session: Session, ids: Sequence[int], at: datetime) -> None:
    session.execute(update(Recipient).where(Recipient.id.in_(list(ids))).values(updated_at=at))


IMPORT_COLUMNS = (
    "workspace_id",
    "campaign_id",
    "row_number",
    "phone",
    "raw_phone",
    "params",
    "state",
    "attempts",
    "invalid_reason",
    "created_at",
    "updated_at",
)
_STATE = IMPORT_COLUMNS.index("state")


def import_recipients(
    session: Session, campaign_id: int, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert uploaded rows (INITIAL or INVALID_RECORD), given as dicts: see ``insert_imported``."""
    insert_imported(
        session,
        campaign_id,
        [tuple(row.get(c, 0 if c == "attempts" else None) for c in IMPORT_COLUMNS) for row in rows],
    )


def insert_imported(
    session: Session,
    campaign_id: int,
    rows: Sequence[Sequence[Any]],
    *,
    params_encoded: bool = False,
) -> None:
    """Insert uploaded rows (INITIAL or INVALID_RECORD), tuples in ``IMPORT_COLUMNS`` order,
    with one multi-row INSERT and move the counters by the same amounts. ``params_encoded``:
    each row's params are already JSON text. The "imported" history entry of each row is its
    own created_at/state/invalid_reason (see campaigns.service.recipient_history): writing a
    history row and an outbox event per row would triple the cost of a million-row import, so
    the import emits one campaign event instead."""
    if not rows:
        return
    table = Recipient.__table__
    assert isinstance(table, Table)
    insert_rows(session, table, IMPORT_COLUMNS, rows, encoded=("params",) if params_encoded else ())
    states = Counter(str(row[_STATE]) for row in rows)
    add_counts(session, {(campaign_id, state): n for state, n in states.items()})
