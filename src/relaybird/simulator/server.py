"""Running the simulator: in the foreground (`relaybird simulator`) or in a background thread with
its own event loop (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web

from relaybird.simulator.app import SIM_KEY, create_app
from relaybird.simulator.config import SimConfig
from relaybird.simulator.core import Simulator


def run_forever(config: SimConfig, host: str, port: int) -> None:
    web.run_app(create_app(config), host=host, port=port, print=None, access_log=None)


class SimulatorThread:
    """The simulator on 127.0.0.1:<free port> in a daemon thread; ``url`` once started."""

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1") -> None:
        self.app = create_app(config)
        self.host = host
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._runner: web.AppRunner | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="simulator", daemon=True)

    @property
    def simulator(self) -> Simulator:
        return self.app[SIM_KEY]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SimulatorThread:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError("simulator failed to start") from self._error
        return self

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` on the simulator's loop (its state is not thread-safe)."""

        async def run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()
            self._stopped.set()

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await self._runner.cleanup()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._stopped.wait(10)
