"""Retry policy as data: how long a transiently failed recipient waits before its next attempt."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter on the upper half: base·2^(n-1)·[0.5, 1.0).

    The seed says retries come "in quick succession", so the default base is seconds, and
    ``max_attempts`` (attempts including the first) is small.
    """

    max_attempts: int
    base: timedelta
    cap: timedelta = timedelta(minutes=10)

    def attempts_left(self, attempts: int) -> bool:
        return attempts < self.max_attempts

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Wait after the ``attempts``-th failed attempt (1-based)."""
        r = rng or random
        raw = self.base * (2 ** max(0, attempts - 1))
        bounded: timedelta = min(raw, self.cap)
        factor: float = 0.5 + r.random() / 2
        return bounded * factor
