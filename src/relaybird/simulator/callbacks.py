"""Callbacks from the simulated Direct networks (Twilio, LINE, WeChat) to the engine.

A network signs its request exactly as the real one would and hands it here: ``deliver`` posts
it now and returns the answer (control endpoints that play a person, e.g. an inbound SMS whose
TwiML answer the test reads); ``schedule`` queues it for later (Twilio's status callbacks after a
send), retried on a non-2xx answer. Everything delivered is recorded for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

log = logging.getLogger("relaybird.simulator.callbacks")


@dataclass(frozen=True)
class Outgoing:
    label: str  # e.g. "status:delivered", "inbound-sms"
    method: str
    url: str
    body: bytes
    headers: Mapping[str, str]
    # Callbacks with the same key are delivered one after the other, in the order they fell
    # due (a message's "sent" before its "delivered"); different keys go concurrently.
    key: str | None = None


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (connection refused, timeout)
    body: bytes
    content_type: str | None


class CallbackPoster:
    def __init__(self, retries: int = 3, timeout: float = 30.0) -> None:
        self.retries = retries
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._heap: list[tuple[float, int, Outgoing]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._inflight = 0
        self._http: aiohttp.ClientSession | None = None
        self._order: dict[str, tuple[asyncio.Lock, list[int]]] = {}  # key → (lock, [users])
        self.delivered: list[dict[str, Any]] = []
        self.failed = 0

    @property
    def pending(self) -> int:
        return len(self._heap) + self._inflight

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        return self._http

    def schedule(self, item: Outgoing, delay: float = 0.0) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), item))
        if self._wake is not None:
            self._wake.set()

    async def deliver(self, item: Outgoing) -> Answer:
        """One attempt, now; recorded whatever the outcome."""
        try:
            # encoded=True: the URL goes out byte for byte as it was signed (no re-quoting).
            async with self._session().request(
                item.method,
                URL(item.url, encoded=True),
                data=item.body or None,
                headers=dict(item.headers),
            ) as response:
                body = await response.read()
                answer = Answer(response.status, body, response.headers.get("Content-Type"))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.info("callback %s to %s failed: %s", item.label, item.url, exc)
            answer = Answer(None, b"", None)
        self.delivered.append(
            {
                "label": item.label,
                "url": item.url,
                "status": answer.status,
                "body": item.body.decode(errors="replace"),
                "answer": answer.body.decode(errors="replace"),
            }
        )
        return answer

    async def _deliver_with_retries(self, item: Outgoing) -> None:
        try:
            if item.key is None:
                await self._attempts(item)
                return
            lock, users = self._order.setdefault(item.key, (asyncio.Lock(), [0]))
            users[0] += 1
            try:
                async with lock:  # asyncio locks are FIFO: due order is kept
                    await self._attempts(item)
            finally:
                users[0] -= 1
                if users[0] == 0:
                    del self._order[item.key]
        finally:
            self._inflight -= 1

    async def _attempts(self, item: Outgoing) -> None:
        for attempt in range(self.retries + 1):
            answer = await self.deliver(item)
            if answer.status is not None and 200 <= answer.status < 300:
                return
            await asyncio.sleep(min(2.0, 0.05 * 2**attempt))
        self.failed += 1

    async def run(self, stop: asyncio.Event) -> None:
        self._wake = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            now = time.monotonic()
            while self._heap and self._heap[0][0] <= now:
                item = heapq.heappop(self._heap)[2]
                self._inflight += 1
                task = asyncio.create_task(self._deliver_with_retries(item))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            timeout = (self._heap[0][0] - time.monotonic()) if self._heap else 0.5
            self._wake.clear()
            if timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=min(timeout, 0.5))
        for task in list(tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()

    def describe(self, bodies: bool) -> dict[str, Any]:
        state: dict[str, Any] = {
            "pending": self.pending,
            "delivered": len(self.delivered),
            "failed": self.failed,
        }
        if bodies:
            state["items"] = self.delivered
        return state

    def background(self) -> Any:
        """A cleanup_ctx entry running the poster beside the app."""

        async def ctx(_app: web.Application) -> AsyncIterator[None]:
            stop = asyncio.Event()
            task = asyncio.create_task(self.run(stop))
            yield
            stop.set()
            if self._wake is not None:
                self._wake.set()
            await asyncio.gather(task, return_exceptions=True)

        return ctx


async def read_json(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data


def answer_json(answer: Answer, **extra: Any) -> dict[str, Any]:
    return {
        "status": answer.status,
        "answer": answer.body.decode(errors="replace"),
        "content_type": answer.content_type,
        **extra,
    }
