"""The job type and the scheduler loop that runs the registered jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from relaybird.context import AppContext

log = logging.getLogger("relaybird.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds (real time) between runs
    run: Callable[[AppContext], int]


async def run_jobs(ctx: AppContext, stop: asyncio.Event, jobs: list[Job]) -> None:
    """Run each job every ``job.every`` seconds until ``stop``; a failing job is logged and tried
    again at its next turn (one bad job never stops the others)."""
    due = {job.name: 0.0 for job in jobs}
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs:
            if now < due[job.name]:
                continue
            due[job.name] = now + job.every
            try:
                done = await asyncio.to_thread(job.run, ctx)
                if done:
                    log.debug("job %s did %d", job.name, done)
            except Exception:
                log.exception("scheduler job %s failed", job.name)
        wait = max(0.05, min(due.values()) - time.monotonic()) if due else 1.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
