"""The dispatcher loop: one SenderRunner per sender that has a RUNNING campaign.

Each runner holds the sender's lease (senders.lease_owner), so with several workers on
PostgreSQL exactly one drives a sender and its throughput and limit accounting stay exact.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from relaybird.context import AppContext
from relaybird.db.notify import DISPATCH, nap
from relaybird.dispatcher import repository
from relaybird.dispatcher.runner import SenderRunner, Tuning

log = logging.getLogger("relaybird.dispatcher")


async def dispatcher_loop(
    ctx: AppContext, stop: asyncio.Event, *, poll: float = 0.3, tuning: Tuning | None = None
) -> None:
    provider = ctx.provider
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    runners: dict[int, asyncio.Task[None]] = {}
    try:
        while not stop.is_set():
            sender_ids = await asyncio.to_thread(_senders_to_drive, ctx)
            for sender_id in sender_ids:
                task = runners.get(sender_id)
                if task is not None and not task.done():
                    continue
                if not await asyncio.to_thread(_take_lease, ctx, sender_id, owner):
                    continue
                runner = SenderRunner(ctx, sender_id, provider, owner, tuning)
                runners[sender_id] = asyncio.create_task(
                    runner.run(stop), name=f"dispatcher-{sender_id}"
                )
            for sender_id, task in list(runners.items()):
                if task.done():
                    del runners[sender_id]
                    if not task.cancelled() and task.exception() is not None:
                        log.error(
                            "dispatcher for sender %s crashed", sender_id, exc_info=task.exception()
                        )
            await nap(stop, DISPATCH, poll)
    finally:
        await asyncio.gather(*runners.values(), return_exceptions=True)


def _senders_to_drive(ctx: AppContext) -> list[int]:
    with ctx.db.read() as session:
        return repository.senders_with_running_campaigns(session)


def _take_lease(ctx: AppContext, sender_id: int, owner: str) -> bool:
    with ctx.db.write() as session:
        return repository.take_sender_lease(
            session, sender_id, owner, ctx.clock.now(), ctx.settings.lease
        )
