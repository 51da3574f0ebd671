"""A real HTTP receiver on 127.0.0.1 (port 0) for outgoing events, which fails on purpose."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """Answers ``fail_status`` to the first ``fail_first`` requests (and to every request while
    ``down`` is set), then 204. Runs in its own thread and event loop."""

    fail_first: int = 0
    fail_status: int = 500
    down: bool = False
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        failing = self.down or len(self.received) < self.fail_first
        status = self.fail_status if failing else 204
        self.received.append(Received(dict(request.headers), body, status))
        if failing:
            return web.Response(status=status, text="receiver is failing on purpose")
        return web.Response(status=204)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> Receiver:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def _cleanup() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]
