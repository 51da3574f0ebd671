"""The inbox's operations for its doors: the shared writer, replay, pruning, counts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaybird.context import AppContext, Local
from relaybird.inbox import repository as repo
from relaybird.inbox.writer import InboxWriter
from relaybird.kit.pagination import Page, decode_cursor, encode_cursor
from relaybird.models import Sender

log = logging.getLogger("relaybird.inbox")

WRITER = Local("inbox.writer", lambda ctx: InboxWriter(ctx.db))
PRUNE_EVERY = 3600.0


def writer(ctx: AppContext) -> InboxWriter:
    """The process's one group-commit writer (closed with the context's other resources)."""
    return ctx.local(WRITER)


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


@dataclass(frozen=True)
class DeadLetter:
    id: int
    source: str
    received_at: datetime
    attempts: int
    reason: str


# How many dead letters one page looks through for a workspace's own (they are few).
_SCAN = 5000


def dead_letters(
    session: Session, *, workspace_id: int | None, cursor: str | None, limit: int
) -> Page[DeadLetter]:
    """Stored bodies the applier set aside (FAILED), oldest first, with their reason. For a
    workspace (the API): only bodies about its own numbers or business accounts, since the inbox
    is shared by every workspace; ``None`` (the CLI, the operator): all of them."""
    after = decode_cursor(cursor) if cursor else 0
    owned: tuple[set[str], set[str]] | None = None
    if workspace_id is not None:
        numbers = session.execute(
            select(Sender.phone_number_id, Sender.waba_id).where(
                Sender.workspace_id == workspace_id
            )
        ).all()
        owned = ({n for n, _ in numbers}, {w for _, w in numbers if w})
    found: list[DeadLetter] = []
    scanned, last = 0, after
    while len(found) < limit and scanned < _SCAN:
        rows = repo.failed_after(session, last, 200)
        if not rows:
            last = 0
            break
        for row in rows:
            scanned += 1
            last = row.id
            if owned is None or _about(row.body, *owned):
                found.append(
                    DeadLetter(
                        row.id, row.source, row.received_at, row.attempts, row.last_error or ""
                    )
                )
                if len(found) == limit:
                    break
    more = bool(last) and bool(repo.failed_after(session, last, 1))
    return Page(found, encode_cursor(last) if more else None)


def _about(body: bytes, numbers: set[str], accounts: set[str]) -> bool:
    """Whether a stored WhatsApp body names one of these phone-number ids or business accounts
    (read leniently: the body is a dead letter because it does not parse)."""
    try:
        document = json.loads(body)
        for entry in document.get("entry") or ():
            if str(entry.get("id")) in accounts:
                return True
            for change in entry.get("changes") or ():
                metadata = (change.get("value") or {}).get("metadata") or {}
                if str(metadata.get("phone_number_id")) in numbers:
                    return True
    except Exception:  # noqa: S110 (unreadable: not attributable to a workspace)
        pass
    return False


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
