"""Signed webhooks back to the engine, as Meta sends them: after a delay, possibly batched (several
statuses of one number in one POST), concurrently, retried on any non-200 answer."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from relaybird.providers.whatsapp import signature, wire
from relaybird.simulator.config import SimConfig

log = logging.getLogger("relaybird.simulator.webhooks")


@dataclass(frozen=True)
class _Status:
    phone_number_id: str
    display_phone_number: str
    waba_id: str
    obj: dict[str, Any]


class Emitter:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._heap: list[tuple[float, int, _Status | dict[str, Any]]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._inflight = 0
        # Every body POSTed and answered 200, in order (tests read it through GET /_sim/webhooks).
        self.delivered: list[dict[str, Any]] = []
        self.failed = 0
        self.undeliverable = 0

    @property
    def pending(self) -> int:
        return len(self._heap) + self._inflight

    def status(
        self, phone_number_id: str, display: str, waba_id: str, obj: dict[str, Any], delay: float
    ) -> None:
        self._push(delay, _Status(phone_number_id, display, waba_id, obj))

    def body(self, body: dict[str, Any], delay: float) -> None:
        self._push(delay, body)

    def _push(self, delay: float, item: _Status | dict[str, Any]) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), item))
        if self._wake is not None:
            self._wake.set()

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        self._wake = asyncio.Event()
        sem = asyncio.Semaphore(max(1, self.config.webhook_concurrency))
        tasks: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            while not stop.is_set():
                now = time.monotonic()
                due: list[_Status | dict[str, Any]] = []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
                for body in self._batches(due):
                    self._inflight += 1
                    await sem.acquire()
                    task = asyncio.create_task(self._deliver(http, body, sem))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                timeout = (self._heap[0][0] - time.monotonic()) if self._heap else 0.5
                self._wake.clear()
                if timeout > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=min(timeout, 0.5))
            for task in list(tasks):
                task.cancel()

    def _batches(self, due: list[_Status | dict[str, Any]]) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        groups: dict[str, list[_Status]] = {}
        for item in due:
            if isinstance(item, _Status):
                groups.setdefault(item.phone_number_id, []).append(item)
            else:
                bodies.append(item)
        size = max(1, self.config.batch_max)
        for items in groups.values():
            for i in range(0, len(items), size):
                chunk = items[i : i + size]
                first = chunk[0]
                value = wire.messages_value(
                    first.phone_number_id,
                    first.display_phone_number,
                    statuses=[s.obj for s in chunk],
                )
                bodies.append(wire.envelope(first.waba_id, "messages", value))
        return bodies

    async def _deliver(
        self, http: aiohttp.ClientSession, body: dict[str, Any], sem: asyncio.Semaphore
    ) -> None:
        try:
            url = self.config.webhook_url
            if not url:
                self.undeliverable += 1
                return
            raw = json.dumps(body).encode()
            headers = {
                "Content-Type": "application/json",
                signature.HEADER: signature.sign(raw, self.config.app_secret),
            }
            for attempt in range(self.config.webhook_retries + 1):
                try:
                    async with http.post(url, data=raw, headers=headers) as response:
                        await response.read()
                        if response.status == 200:
                            self.delivered.append(body)
                            return
                        log.info("webhook answered %s (attempt %d)", response.status, attempt + 1)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    log.info("webhook POST failed: %s (attempt %d)", exc, attempt + 1)
                await asyncio.sleep(min(2.0, 0.05 * 2**attempt))
            self.failed += 1
        finally:
            self._inflight -= 1
            sem.release()
