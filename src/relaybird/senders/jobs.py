"""Background work for senders: the lifecycle timers and the periodic sync (both registered in
relaybird/wiring.py).

- ``tick`` (a scheduler job): settle the numbers whose status can change with
  time alone (RESTRICTED: the window frees room or the provider restriction ends; FLAGGED: the
  7-day decision), and prune window rows nobody needs any more. Tests call it with a fast clock.
- ``sync_loop`` (a runtime loop): read each number's fields from the provider once per
  ``sender_sync_interval``; a loop rather than a job because it shares the process's provider
  adapter (an aiohttp session belongs to one event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from relaybird.context import AppContext
from relaybird.senders import repository, service, sync, window

log = logging.getLogger("relaybird.senders")


def tick(ctx: AppContext) -> int:
    """Settle every sender with a timer; returns how many changed."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        ids = repository.with_timers(session)

    def settle(sender_id: int) -> int:
        # One short transaction per sender: a slow portfolio never holds the others.
        with ctx.db.write() as session:
            sender = repository.get_any(session, sender_id, lock=True)
            return int(
                sender is not None
                and bool(service.settle(session, sender, actor="scheduler", now=now))
            )

    # A sender whose row cannot be settled is set aside with its reason; the others are settled.
    changed = ctx.set_aside("senders.lifecycle", log).each(ids, settle, "sender")
    with ctx.db.write() as session:
        window.prune(session, now)
    return changed


def release_restricted(ctx: AppContext) -> int:
    """Release the RESTRICTED senders whose window has room again."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        ids = repository.restricted(session)
    released = 0
    for sender_id in ids:
        with ctx.db.write() as session:
            sender = repository.get_any(session, sender_id)
            if sender is not None:
                released += service.release_if_room(session, sender, at=now)
    return released


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def sync_loop(ctx: AppContext, stop: asyncio.Event) -> None:
    every = ctx.settings.sender_sync_interval
    while not stop.is_set():
        await sync.sync_due(ctx, every)
        await _pause(stop, min(every.total_seconds(), 60.0))
