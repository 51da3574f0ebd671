"""The retry policy as data: exponential, jittered within [0.5, 1) of the step, capped."""

from __future__ import annotations

import random
from datetime import timedelta

from relaybird.dispatcher.retry import RetryPolicy, SenderBackoff
from relaybird.providers.whatsapp.errors import classify


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


# --- the sender's backoff (issue 12 item 14) ------------------------------------------------

SOMETHING_WRONG = classify(131000)  # Meta's "something went wrong": this request, not the number
THROTTLED = classify(130429)
PAIR_LIMIT = classify(131056)


def test_one_off_failures_retry_their_recipient_and_never_idle_the_sender() -> None:
    backoff = SenderBackoff(random.Random(1))
    # Five simultaneous 131000s (the black-box run idled the sender 4-12 s for these), then
    # a steady 5 % of them among successes, and pair-rate-limit errors of single recipients.
    for i in range(5):
        assert not backoff.failed(SOMETHING_WRONG, started=0.0, now=0.1 + i / 100)
    for i in range(2000):
        t = 1.0 + i / 1000
        if i % 20 == 0:
            assert not backoff.failed(SOMETHING_WRONG, started=t, now=t + 0.01)
        elif i % 33 == 0:
            assert not backoff.failed(PAIR_LIMIT, started=t, now=t + 0.01)
        else:
            backoff.succeeded(started=t)
    assert backoff.backoffs == 0 and backoff.until == 0.0


def test_a_burst_of_throttling_slows_the_sender_once() -> None:
    backoff = SenderBackoff(random.Random(1))
    # 50 requests in flight together are all throttled: one backoff, not fifty escalations.
    results = [backoff.failed(THROTTLED, started=1.0, now=1.2 + i / 1000) for i in range(50)]
    assert results.count(True) == 1 and backoff.step == 1
    # Still throttled after the wait: one more step.
    assert backoff.failed(THROTTLED, started=backoff.until + 0.01, now=backoff.until + 0.05)
    assert backoff.step == 2 and backoff.backoffs == 2
    # Sends started after that go through again: the escalation starts over.
    backoff.succeeded(started=backoff.until + 0.1)
    assert backoff.step == 0


def test_a_burst_of_one_off_failures_is_an_outage_of_the_sender() -> None:
    backoff = SenderBackoff(random.Random(1))
    decided = [backoff.failed(SOMETHING_WRONG, started=1.0, now=1.0 + i / 100) for i in range(40)]
    assert decided.count(True) == 1  # from the 20th on it is a burst: slowed down once
    assert backoff.until > 1.2


def test_a_one_off_failure_is_retried_in_quick_succession() -> None:
    policy = RetryPolicy(max_attempts=4, base=timedelta(seconds=2))
    rng = random.Random(3)
    for attempt, step in ((1, 0.25), (2, 0.5), (3, 1.0)):
        delays = [policy.delay(attempt, rng, isolated=True).total_seconds() for _ in range(100)]
        assert step * 0.5 <= min(delays) and max(delays) < step
