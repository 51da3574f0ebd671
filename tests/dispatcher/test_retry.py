"""The retry policy as data: exponential, jittered within [0.5, 1) of the step, capped."""

from __future__ import annotations

import random
from datetime import timedelta

from relaybird.dispatcher.retry import RetryPolicy


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(max_attempts=4, base=timedelta(seconds=2), cap=timedelta(seconds=10))
    rng = random.Random(7)
    for attempt, step in ((1, 2), (2, 4), (3, 8), (4, 10), (9, 10)):
        delays = [policy.delay(attempt, rng).total_seconds() for _ in range(200)]
        assert min(delays) >= step * 0.5
        assert max(delays) < step
        assert len(set(delays)) > 100  # jitter: retries of one batch spread out


def test_attempts_left() -> None:
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=1))
    assert [policy.attempts_left(n) for n in (1, 2, 3, 4)] == [True, True, False, False]
