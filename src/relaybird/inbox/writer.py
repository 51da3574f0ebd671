"""Group commit for the webhook receiver: concurrent requests' bodies go into one transaction.

Each request hands its body to the writer and waits; the writer takes everything queued, inserts
it in one transaction (in a worker thread), and answers every waiting request after the commit.
While one commit runs, the next batch gathers, so under load a single fsync acknowledges many
POSTs — what lets SQLite take thousands of webhook bodies per second — and with no load a body is
written at once (no timer, no added latency).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from relaybird.db import Database
from relaybird.db.notify import INBOX, notify
from relaybird.inbox import repository as repo

log = logging.getLogger("relaybird.inbox.writer")

MAX_BATCH = 1000


@dataclass
class _Pending:
    event: repo.NewEvent
    done: asyncio.Future[None]


class InboxWriter:
    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # One thread of its own: commits never queue behind other work in the default executor.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-writer")

    async def store(self, event: repo.NewEvent) -> None:
        """Return once ``event`` is committed (or was already stored); raise if it could not be."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            # First use, or a new event loop (test clients): start a writer on this loop.
            self._loop, self._queue = loop, asyncio.Queue()
            self._task = loop.create_task(self._run(self._queue), name="inbox-writer")
        assert self._queue is not None
        pending = _Pending(event, loop.create_future())
        self._queue.put_nowait(pending)
        await pending.done

    async def _run(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                events = [p.event for p in batch]
                await asyncio.get_running_loop().run_in_executor(self._thread, self._write, events)
            except Exception as exc:
                log.exception("inbox write of %d bodies failed", len(batch))
                for p in batch:
                    if not p.done.done():
                        p.done.set_exception(exc)
                continue
            for p in batch:
                if not p.done.done():
                    p.done.set_result(None)

    def _write(self, events: list[repo.NewEvent]) -> None:
        with self.db.write() as session:
            repo.insert_ignore(session, events)
            notify(session, INBOX)  # wakes the applier (in this process, or a worker's)

    async def close(self) -> None:
        if self._task is not None and self._loop is asyncio.get_running_loop():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._thread.shutdown(wait=False)
