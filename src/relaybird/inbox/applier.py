"""The webhook applier: stored inbox rows → typed events → domain handlers, in batches.

One step: read a batch of due rows (no lock), parse them outside any write transaction, then in
one short write transaction lock those still due (SKIP LOCKED on PostgreSQL), dispatch every
event to its handlers and mark the rows. A handler that raises rolls back only its row's work
(savepoints) and the row is retried with backoff; a row whose statuses matched nothing yet is
retried too (the send call may not have returned its wamid); after ``MAX_ATTEMPTS`` it is FAILED
and kept for `relaybird inbox replay`. A body that cannot be parsed at all is FAILED at once. A
FAILED row is a dead letter: its reason is in ``last_error``, listed by `relaybird inbox
dead-letters` and ``GET /api/v1/inbox/dead-letters``, and it never blocks the rows behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from relaybird.context import AppContext
from relaybird.db.notify import INBOX, nap
from relaybird.inbox import repository as repo
from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.kit.poison import reason_of, set_aside
from relaybird.providers.whatsapp.events import Unknown
from relaybird.providers.whatsapp.parse import MalformedBody, parse_body

log = logging.getLogger("relaybird.inbox.applier")

# One step takes up to BATCH_ROWS stored bodies but stops adding bodies at MAX_EVENTS events:
# Meta sends one status per POST, so a step of 50 rows was 50 events and the fixed cost of a
# step (reads, lock, marks, commit) was most of the applier's time. A step stays one short write
# transaction: on SQLite the receiver's commits queue behind it, so it is kept to a few hundred
# events (tens of ms), well inside the receiver's 50 ms p99.
BATCH_ROWS = 500
MAX_EVENTS = 2000
MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=2)
RETRY_CAP = timedelta(minutes=30)
IDLE_WAIT = 0.5  # a stored webhook wakes the applier at once (db.notify); this is the safety net


@dataclass
class StepResult:
    rows: int = 0
    events: int = 0
    applied: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    # More rows were due than this step took (a full batch, or one cut at MAX_EVENTS).
    more: bool = False


@dataclass
class _Row:
    stored: repo.StoredEvent
    events: list[Any] = field(default_factory=list)
    error: str | None = None
    # The body itself cannot be applied (it does not parse): a dead letter at once, since no
    # retry can help (a fix and `relaybird inbox replay` can).
    dead: bool = False


def retry_delay(attempts: int) -> timedelta:
    delay: timedelta = RETRY_BASE * (2 ** max(0, attempts - 1))
    return min(RETRY_CAP, delay)


def apply_batch(
    ctx: AppContext, registry: Registry, limit: int = BATCH_ROWS, max_events: int = MAX_EVENTS
) -> StepResult:
    """Apply up to ``limit`` due rows (fewer once they hold ``max_events`` events) with the
    handlers of ``registry`` (the composition root's ``relaybird.wiring.registered_handlers()``);
    return what happened (rows == 0: nothing was due)."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        candidates = repo.due_candidates(session, now, limit)
    if not candidates:
        return StepResult()
    rows: list[_Row] = []
    total = 0
    for candidate in candidates:
        if rows and total >= max_events:
            break
        rows.append(row := _parse(candidate))
        total += len(row.events)
    actx = ApplyContext(now=now, settings=ctx.settings)
    result = StepResult(more=len(rows) < len(candidates) or len(candidates) >= limit)
    with ctx.db.write() as session:
        locked = repo.lock_due(session, [r.stored.id for r in rows], now)
        rows = [r for r in rows if r.stored.id in locked]
        good = [r for r in rows if r.error is None]
        try:
            with session.begin_nested():
                unmatched = _dispatch(session, good, registry, actx)
        except Exception:
            # Find the row that broke, apply the others: one bad body must not block the rest.
            log.exception("inbox batch failed; applying its rows one by one")
            unmatched = set()
            for row in good:
                try:
                    with session.begin_nested():
                        unmatched |= _dispatch(session, [row], registry, actx)
                except Exception as exc:
                    log.exception("inbox row %s failed", row.stored.id)
                    row.error = reason_of(exc)
        applied: list[int] = []
        for row in rows:
            result.rows += 1
            result.events += len(row.events)
            result.unknown += sum(isinstance(e, Unknown) for e in row.events)
            error = row.error or (
                "statuses for messages not known yet" if row.stored.id in unmatched else None
            )
            if error is None:
                applied.append(row.stored.id)
                continue
            attempts = row.stored.attempts + 1
            last = row.dead or attempts >= MAX_ATTEMPTS
            next_at = None if last else now + retry_delay(attempts)
            repo.mark_retry(session, row.stored.id, attempts=attempts, next_at=next_at, error=error)
            if next_at is None:
                result.failed += 1
                log.warning("inbox row %s is a dead letter: %s", row.stored.id, error)
            else:
                result.retried += 1
        repo.mark_applied(session, applied, now)
        result.applied = len(applied)
    return result


def _parse(stored: repo.StoredEvent) -> _Row:
    row = _Row(stored)
    try:
        row.events = parse_body(stored.body)
    except MalformedBody as exc:  # the receiver refuses these; a replayed/legacy row may not
        row.error, row.dead = f"malformed body: {exc}", True
    except Exception as exc:
        # A validly signed body with a value we cannot take (a timestamp of 20 digits, ...):
        # this row becomes a dead letter with its reason; the rows behind it are applied.
        row.error, row.dead = set_aside(log, f"inbox row {stored.id}", exc), True
    for event in row.events:
        if isinstance(event, Unknown):
            log.warning("inbox row %s: kept unknown change (%s)", stored.id, event.reason)
    return row


def _dispatch(
    session: Session, rows: Sequence[_Row], registry: Registry, actx: ApplyContext
) -> set[int]:
    """Run every handler over the events of ``rows``; return ids of rows to retry."""
    by_type: dict[type, list[Any]] = defaultdict(list)
    origin: dict[int, int] = {}
    for row in rows:
        for event in row.events:
            by_type[type(event)].append(event)
            origin[id(event)] = row.stored.id
    retry_rows: set[int] = set()
    for event_type, events in by_type.items():
        handlers = registry.for_type(event_type)
        if not handlers:
            continue
        unmatched_by_all: set[int] | None = None
        for handler in handlers:
            left = {id(e) for e in handler(session, events, actx) or ()}
            unmatched_by_all = left if unmatched_by_all is None else unmatched_by_all & left
        if event_type in registry.retry_unmatched and unmatched_by_all:
            retry_rows |= {origin[i] for i in unmatched_by_all}
    return retry_rows


async def applier_loop(ctx: AppContext, stop: asyncio.Event, registry: Registry) -> None:
    """Background loop: apply while rows are due, then wait a little."""
    while not stop.is_set():
        result = await asyncio.to_thread(apply_batch, ctx, registry)
        if not result.more:
            await nap(stop, INBOX, IDLE_WAIT)
