"""The one place a status changes: compare-and-set UPDATE + history row + outbox event.

``apply_transition`` moves one row: it reads the current state, checks the move against the
lifecycle's table, and writes ``UPDATE ... SET state=:to WHERE id=:id AND state=:observed``. If a
concurrent writer got there first (row count 0) it re-reads and decides again, so the table holds
under any interleaving. ``move_many`` moves a batch from one known state (the dispatcher's claims,
webhook status batches) in one statement per batch. Both write the history rows and the outbox
events in the caller's transaction; neither commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, literal_column, select, update
from sqlalchemy.orm import Session

from relaybird.db.after_commit import log_after_commit
from relaybird.db.bulk import insert_rows
from relaybird.errors import IllegalTransition, found
from relaybird.events.outbox import emit_many
from relaybird.kit.state_machine import StateMachine
from relaybird.kit.time import utcnow
from relaybird.models import Transition
from relaybird.models.base import Base

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)

_MAX_CAS_RETRIES = 8

log = logging.getLogger("relaybird.status")
# The lifecycles an operator follows in the log, one line per change (recipients, rooms and
# messages move by the thousand: their history is in the database, not the log).
LOGGED = frozenset({"campaign", "sender", "template", "contact"})
# Statuses that need someone's attention: logged as warnings.
ALARMING = frozenset({"RESTRICTED", "OFFLINE", "FLAGGED", "BANNED", "PAUSED", "DISABLED"})


@dataclass(frozen=True)
class Moved:
    """A row that moved: its id, workspace, the two states, and any extra returned columns."""

    id: int
    workspace_id: int
    source: str | None
    target: str | None
    extra: tuple[Any, ...] = ()

    @property
    def changed(self) -> bool:
        return self.source != self.target


def apply_transition(
    session: Session,
    machine: StateMachine[S, E],
    model: type[Base],
    entity_id: int,
    *,
    event: E,
    target: S | None = None,
    explicit_target: bool = False,
    workspace_id: int | None = None,
    actor: str,
    reason: str | None = None,
    error_code: int | None = None,
    values: Mapping[str, Any] | None = None,
    returning: Sequence[str] = (),
    data: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Moved:
    """Move one row by ``event``; return what happened.

    A duplicate of an idempotent event (the row is already in the target) returns a Moved with
    ``changed`` False and writes nothing. Anything the table does not allow raises
    IllegalTransition (409 at the API); an unknown id (or another workspace's) raises NotFound.
    """
    col = getattr(model, machine.state_field)
    id_col = model.id  # type: ignore[attr-defined]
    extra_cols = [getattr(model, name) for name in returning]
    when = at or utcnow()
    for _ in range(_MAX_CAS_RETRIES):
        query = select(col, model.workspace_id, *extra_cols).where(id_col == entity_id)  # type: ignore[attr-defined]
        if workspace_id is not None:
            query = query.where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]
        row = found(session.execute(query).one_or_none(), f"{machine.entity} {entity_id}")
        observed = None if row[0] is None else machine.states(row[0])
        ws = int(row[1])
        try:
            to = machine.resolve(observed, event, target, explicit=explicit_target)
        except IllegalTransition:
            wanted_known = explicit_target or target is not None
            if event in machine.idempotent_events and wanted_known and observed == target:
                return Moved(entity_id, ws, _s(observed), _s(observed), tuple(row[2:]))
            raise
        guard: ColumnElement[bool] = col.is_(None) if observed is None else col == str(observed)
        stmt = (
            update(model)
            .where(id_col == entity_id, guard)
            .values({machine.state_field: _s(to), **(values or {})})
        )
        if extra_cols:
            stmt = stmt.returning(*extra_cols)
        result = session.execute(stmt, execution_options={"synchronize_session": False})
        if extra_cols:
            got = result.all()
            if not got:
                continue
            extra = tuple(got[0])
        else:
            if result.rowcount != 1:  # type: ignore[attr-defined]
                continue
            extra = tuple(row[2:])
        moved = Moved(entity_id, ws, _s(observed), _s(to), extra)
        record(
            session,
            machine,
            [moved],
            event=event,
            actor=actor,
            reason=reason,
            error_code=error_code,
            data=data,
            at=when,
        )
        return moved
    raise IllegalTransition(f"{machine.entity} {entity_id} kept changing under us; try again")


def move_many(
    session: Session,
    machine: StateMachine[S, E],
    model: type[Base],
    ids: Sequence[int],
    *,
    source: S | None,
    event: E,
    target: S | None,
    actor: str,
    reason: str | None = None,
    error_code: int | None = None,
    values: Mapping[str, Any] | None = None,
    extra_where: Sequence[ColumnElement[bool]] = (),
    returning: Sequence[str] = (),
    data: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> list[Moved]:
    """Move every row of ``ids`` that is still in ``source`` to ``target`` in one UPDATE.

    Rows no longer in ``source`` are left alone (a concurrent writer moved them): the returned
    list says which rows moved. The (source, event, target) row must be in the table.
    """
    if not ids:
        return []
    machine.resolve(source, event, target, explicit=True)
    # On the table, not the ORM entity: the rows come back as plain tuples (no ORM bulk-update
    # bookkeeping, a tenth of a batch move's time); nothing here needs the identity map.
    table: Table = model.__table__  # type: ignore[assignment]
    col = table.c[machine.state_field]
    guard = col.is_(None) if source is None else unindexed(col) == str(source)
    stmt = (
        update(table)
        .where(table.c.id.in_(list(ids)), guard, *extra_where)
        .values({machine.state_field: _s(target), **(values or {})})
        .returning(table.c.id, table.c.workspace_id, *[table.c[n] for n in returning])
    )
    rows = session.execute(stmt).all()
    moved = [Moved(int(r[0]), int(r[1]), _s(source), _s(target), tuple(r[2:])) for r in rows]
    record(
        session,
        machine,
        moved,
        event=event,
        actor=actor,
        reason=reason,
        error_code=error_code,
        data=data,
        at=at,
    )
    return moved


def unindexed(col: Any) -> Any:
    """``col`` as an expression no planner looks up in an index (``col || ''``).

    Without statistics (SQLite never has them unless ANALYZE ran; PostgreSQL until autovacuum
    analyses a freshly filled table) both guess that ``state = ?`` matches a handful of rows, so
    they walk an index led by the state column — every SENT recipient of every campaign,
    hundreds of thousands — instead of the batch's ids. The ids drive; the state is a filter."""
    return col.op("||")(literal_column("''"))


_HISTORY_COLUMNS = (
    "workspace_id",
    "entity",
    "entity_id",
    "from_state",
    "to_state",
    "event",
    "actor",
    "reason",
    "error_code",
    "created_at",
)


def record(
    session: Session,
    machine: StateMachine[S, E],
    moved: Sequence[Moved],
    *,
    event: E,
    actor: str,
    reason: str | None = None,
    error_code: int | None = None,
    data: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """History rows and outbox events for moves already written (same transaction)."""
    if not moved:
        return
    when = at or utcnow()
    # A webhook batch writes thousands of history rows: straight to the driver's executemany
    # (db.bulk), not through the ORM's per-row bookkeeping, which was most of the applier's time.
    session.flush()
    insert_rows(
        session,
        Transition.__table__,  # type: ignore[arg-type]
        _HISTORY_COLUMNS,
        [
            (
                m.workspace_id,
                machine.entity,
                m.id,
                m.source,
                m.target,
                event,
                actor,
                reason,
                error_code,
                when,
            )
            for m in moved
        ],
    )
    if machine.entity in LOGGED:
        for m in moved:
            if m.changed:
                log_after_commit(
                    session,
                    log,
                    "%s %s: %s -> %s (%s by %s%s)",
                    machine.entity,
                    m.id,
                    m.source or "none",
                    m.target or "none",
                    event,
                    actor,
                    f": {reason}" if reason else "",
                    level=logging.WARNING if m.target in ALARMING else logging.INFO,
                )
    emit_many(
        session,
        [
            (
                m.workspace_id,
                machine.event_type,
                machine.entity,
                m.id,
                {
                    "id": m.id,
                    "from": m.source,
                    "to": m.target,
                    "event": event,
                    "reason": reason,
                    "error_code": error_code,
                    **(data or {}),
                },
            )
            for m in moved
        ],
        at=when,
    )


def history(
    session: Session,
    entity: str,
    entity_id: int,
    workspace_id: int,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[Transition]:
    """The entity's moves by id; ``after``/``limit``: one page of them (an API list window)."""
    query = (
        select(Transition)
        .where(
            Transition.entity == entity,
            Transition.entity_id == entity_id,
            Transition.workspace_id == workspace_id,
        )
        .order_by(Transition.id)
    )
    if after is not None:
        query = query.where(Transition.id > after)
    return list(session.scalars(query.limit(limit)))


def _s(state: StrEnum | None) -> str | None:
    return None if state is None else str(state)
