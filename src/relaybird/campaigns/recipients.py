"""Moving recipients: the only way a recipient's state changes, so the per-state counters
(campaign_counts) and the activity counters (campaign_activity: sent, delivered, read per
quarter hour, see campaigns/activity.py) move in the same transaction as the rows they count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaybird.campaigns import activity
from relaybird.campaigns.transitions import RECIPIENT, RecipientEvent, RecipientState
from relaybird.db.bulk import insert_rows
from relaybird.db.stripes import stripe
from relaybird.events.transitions import Moved, apply_transition, move_many
from relaybird.kit.time import utcnow
from relaybird.kit.zones import CAMPAIGN_ZONE, zone_of_number
from relaybird.models import Campaign, CampaignCount, Recipient


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
    when = at or utcnow()
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
        values={**activity.stamps(event, target, when), **(values or {})},
        extra_where=extra_where,
        returning=activity.RETURNING,
        at=when,
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
    when = at or utcnow()
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
        values={**activity.stamps(event, target, when), **(values or {})},
        returning=activity.RETURNING,
        at=when,
    )
    if moved.changed:
        bump_counts(session, [moved])
    return moved


def bump_counts(session: Session, moved: Sequence[Moved]) -> None:
    """Apply the counter deltas of ``moved`` (Moved.extra: activity.RETURNING, the campaign id
    first): the per-state counters and the activity counters."""
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
    activity.add(session, activity.delta(moved))


def add_counts(session: Session, delta: Mapping[tuple[int, str], int]) -> None:
    """Upsert counter deltas into this thread's stripe, in a fixed order so concurrent writers
    never deadlock."""
    items = sorted((k, v) for k, v in delta.items() if v)
    if not items:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    mine = stripe()  # this thread's rows
    # One statement for every counter of the batch (rows in the sorted order above).
    stmt = insert(CampaignCount).values(
        [{"campaign_id": c, "state": state, "stripe": mine, "count": n} for (c, state), n in items]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["campaign_id", "state", "stripe"],
        set_={"count": CampaignCount.count + stmt.excluded.count},
    )
    session.execute(stmt)


def add_zones(session: Session, campaign_id: int, zones: set[int]) -> None:
    """The campaign's ``zone_ids`` gain ``zones``. The row is locked first (PostgreSQL; SQLite's
    writer holds the database): two imports into one campaign must not each write back what
    they read, or a zone left out would never be claimed under a send window."""
    known = (
        session.scalar(
            select(Campaign.zone_ids).where(Campaign.id == campaign_id).with_for_update()
        )
        or []
    )
    if zones - set(known):
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(zone_ids=sorted(zones | set(known)))
        )


def touch(session: Session, ids: Sequence[int], at: datetime) -> None:
    session.execute(update(Recipient).where(Recipient.id.in_(list(ids))).values(updated_at=at))


IMPORT_COLUMNS = (
    "workspace_id",
    "campaign_id",
    "row_number",
    "phone",
    "raw_phone",
    "zone_id",
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
    """Insert uploaded rows (INITIAL or INVALID_RECORD), given as dicts: see ``insert_imported``.
    Each row's ``zone_id`` (kit/zones.py) is its own when given (the upload's ``timezone``
    column), else its number's."""
    values = []
    zones: set[int] = set()
    for row in rows:
        zone = row.get("zone_id")
        if zone is None:
            zone = zone_of_number(row["phone"]) if row.get("phone") else CAMPAIGN_ZONE
        if row["state"] == RecipientState.INITIAL:
            zones.add(zone)
        values.append(
            tuple(
                zone if c == "zone_id" else row.get(c, 0 if c == "attempts" else None)
                for c in IMPORT_COLUMNS
            )
        )
    insert_imported(session, campaign_id, values, zones)


def insert_imported(
    session: Session,
    campaign_id: int,
    rows: Sequence[Sequence[Any]],
    zones: set[int],
    *,
    params_encoded: bool = False,
) -> None:
    """Insert uploaded rows (INITIAL or INVALID_RECORD), tuples in ``IMPORT_COLUMNS`` order,
    with one multi-row INSERT and move the counters by the same amounts; the campaign's
    ``zone_ids`` gain ``zones`` (the INITIAL rows' zones: what a send window's claim looks at).
    ``params_encoded``: each row's params are already JSON text. The "imported" history entry
    of each row is its own created_at/state/invalid_reason (see
    campaigns.service.recipient_history): writing a history row and an outbox event per row
    would triple the cost of a million-row import, so the import emits one campaign event."""
    if not rows:
        return
    table = Recipient.__table__
    assert isinstance(table, Table)
    insert_rows(session, table, IMPORT_COLUMNS, rows, encoded=("params",) if params_encoded else ())
    states = Counter(str(row[_STATE]) for row in rows)
    add_counts(session, {(campaign_id, state): n for state, n in states.items()})
    add_zones(session, campaign_id, zones)  # after the counters, as every writer locks them
