"""A token bucket: at most ``rate`` sends per second per sender."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate = max(0.1, float(rate))
        # A quarter-second burst: the provider counts with its own bucket, and network jitter
        # can bunch our sends up on its side.
        self.capacity = max(1.0, self.rate / 4)
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = asyncio.Lock()

    def set_rate(self, rate: float) -> None:
        rate = max(0.1, float(rate))
        if rate != self.rate:
            self._refill()
            self.rate = rate
            self.capacity = max(1.0, rate / 4)
            self._tokens = min(self._tokens, self.capacity)

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    async def take(self) -> None:
        # One waiter at a time, so tokens are handed out in arrival order.
        async with self._lock:
            while True:
                self._refill()
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
