"""Retry policy as data: how long a transiently failed recipient waits before its next attempt,
and when the whole sender waits (``SenderBackoff``)."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from relaybird.providers.port import ErrorKind, ProviderError


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter on the upper half: base·2^(n-1)·[0.5, 1.0).

    The seed says retries come "in quick succession", so the default base is seconds, and
    ``max_attempts`` (attempts including the first) is small. A one-off failure of one request
    (``ProviderError.isolated``: 131000, a 5xx, a timeout; nothing said about the sender or the
    recipient) is retried on the same schedule from ``isolated_base`` instead: at 1,000
    messages/s a 2 s wait for 5 % of the recipients would outlast the whole campaign.
    """

    max_attempts: int
    base: timedelta
    cap: timedelta = timedelta(minutes=10)
    isolated_base: timedelta = timedelta(milliseconds=250)

    def attempts_left(self, attempts: int) -> bool:
        return attempts < self.max_attempts

    def delay(
        self, attempts: int, rng: random.Random | None = None, *, isolated: bool = False
    ) -> timedelta:
        """Wait after the ``attempts``-th failed attempt (1-based)."""
        r = rng or random
        base = min(self.base, self.isolated_base) if isolated else self.base
        raw = base * (2 ** max(0, attempts - 1))
        bounded: timedelta = min(raw, self.cap)
        factor: float = 0.5 + r.random() / 2
        return bounded * factor


class SenderBackoff:
    """When the whole sender waits (monotonic seconds; pure apart from its ``rng``).

    Only errors that concern the sender slow it down: throttling (130429, 4, 80007) and
    sender-wide outages (131016, 2, 133004, maintenance), and a *burst* of one-off failures
    (``ProviderError.isolated``: 131000, a 5xx, a timeout) — at least ``burst_share`` of the
    last ``window`` outcomes, with ``min_samples`` seen. A single one-off failure only retries
    its recipient (the recorder schedules it; ``RetryPolicy``). And a burst slows the sender
    once, not once per failed request: an error from a request that started before the current
    backoff was decided belongs to that burst and changes nothing (a longer ``retry_after``
    still extends the wait). Successes of requests started after it reset the escalation.
    """

    def __init__(
        self,
        rng: random.Random,
        *,
        base: float = 0.25,
        max_step: int = 6,
        window: int = 40,
        min_samples: int = 20,
        burst_share: float = 0.5,
    ) -> None:
        self.rng = rng
        self.base = base
        self.max_step = max_step
        self.burst_share = burst_share
        self.min_samples = min_samples
        self.recent: deque[bool] = deque(maxlen=window)  # True: a one-off failure
        self.until = 0.0  # the sender waits until then
        self.step = 0
        self.mark = float("-inf")  # when the current backoff was decided
        self.backoffs = 0  # how many times the sender was slowed down (for logs and tests)

    def succeeded(self, started: float) -> None:
        self.recent.append(False)
        if started >= self.mark:
            self.step = 0

    def failed(self, error: ProviderError, started: float, now: float) -> bool:
        """A transient error of a request started at ``started``; True when the sender now
        waits (a new backoff)."""
        if error.kind != ErrorKind.SENDER_TRANSIENT:
            self.recent.append(False)  # e.g. 131056: that recipient's pair limit, not ours
            return False
        if error.isolated:
            self.recent.append(True)
            failures = sum(self.recent)
            if len(self.recent) < self.min_samples or failures < self.burst_share * len(
                self.recent
            ):
                return False
        if started < self.mark:
            # Sent before this burst's backoff was decided: part of it, already answered.
            if error.retry_after:
                self.until = max(self.until, now + error.retry_after)
            return False
        self.step = min(self.step + 1, self.max_step)
        wait = error.retry_after or self.base * 2**self.step * (0.5 + self.rng.random())
        self.until = max(self.until, now + wait)
        self.mark = now
        self.recent.clear()  # the next burst is counted afresh
        self.backoffs += 1
        return True
