"""How fast one sender sends: a token bucket at the number's throughput, and the sender-wide
backoff (``retry.SenderBackoff``) every send waits out."""

from __future__ import annotations

import asyncio
import random
import time

from relaybird.dispatcher.bucket import TokenBucket
from relaybird.dispatcher.retry import SenderBackoff
from relaybird.providers.port import ProviderError


class Pace:
    def __init__(self, rng: random.Random, rate: float = 80) -> None:
        self.bucket = TokenBucket(rate)
        self.backoff = SenderBackoff(rng)

    @property
    def rate(self) -> float:
        return self.bucket.rate

    def set_rate(self, rate: float) -> None:
        self.bucket.set_rate(rate)

    def backing_off(self) -> float:
        """Seconds the sender still waits (0 when it may send)."""
        return max(0.0, self.backoff.until - time.monotonic())

    async def turn(self, claimed_at: float, max_hold: float) -> bool:
        """Wait for one send's turn: the backoff, then a token. False, at once, when waiting
        out the backoff would hold the claim longer than ``max_hold`` seconds since
        ``claimed_at`` (the caller gives it back rather than hold its lease)."""
        delay = self.backing_off()
        if delay > 0:
            if time.monotonic() + delay - claimed_at > max_hold:
                return False
            await asyncio.sleep(delay)
        await self.bucket.take()
        return True

    def succeeded(self, started: float) -> None:
        self.backoff.succeeded(started)

    def failed(self, error: ProviderError, started: float) -> bool:
        """A failed send; True when the whole sender now backs off."""
        return self.backoff.failed(error, started, time.monotonic())
