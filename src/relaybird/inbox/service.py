"""The inbox's operations for its doors: the shared writer, replay, pruning, counts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from relaybird.context import AppContext
from relaybird.inbox import repository as repo
from relaybird.inbox.writer import InboxWriter

log = logging.getLogger("relaybird.inbox")

WRITER_KEY = "inbox_writer"
PRUNE_EVERY = 3600.0


def writer(ctx: AppContext) -> InboxWriter:
    """The process's one group-commit writer (closed with the context's other resources)."""
    existing = ctx.resources.get(WRITER_KEY)
    if isinstance(existing, InboxWriter):
        return existing
    created = InboxWriter(ctx.db)
    ctx.resources[WRITER_KEY] = created
    return created


def new_event(source: str, body: bytes, dedupe_key: str, received_at: datetime) -> repo.NewEvent:
    return repo.NewEvent(source, dedupe_key, body, received_at)


def replay(ctx: AppContext, *, ids: list[int] | None = None, since: datetime | None = None) -> int:
    """Make stored bodies due again; the applier re-applies them (handlers are idempotent)."""
    with ctx.db.write() as session:
        return repo.requeue(session, ids=ids or (), since=since)


def prune(ctx: AppContext) -> int:
    """Delete applied bodies older than RELAYBIRD_INBOX_RETENTION."""
    before = ctx.clock.now() - ctx.settings.inbox_retention
    with ctx.db.write() as session:
        return repo.prune(session, before)


def counts(ctx: AppContext) -> dict[str, int]:
    with ctx.db.read() as session:
        return repo.counts(session)


async def prune_loop(ctx: AppContext, stop: asyncio.Event) -> None:
    """Background loop: prune once at start, then every hour."""
    while not stop.is_set():
        removed = await asyncio.to_thread(prune, ctx)
        if removed:
            log.info("pruned %d applied inbox rows", removed)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=PRUNE_EVERY)
