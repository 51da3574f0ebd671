"""Failed-attempt throttling (dashboard logins): after ``limit`` failures for one key within
``window``, the key waits until the oldest of them leaves the window.

Per process and in memory: it slows a password guesser down by orders of magnitude without a
table; with N api processes behind a load balancer the effective limit is N × ``limit``.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta


class FailureThrottle:
    def __init__(self, limit: int = 5, window: timedelta = timedelta(minutes=5)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: datetime) -> timedelta | None:
        """How long ``key`` must wait before its next attempt; None when it may try now."""
        with self._lock:
            recent = self._recent(key, now)
            if len(recent) < self.limit:
                return None
            return recent[0] + self.window - now

    def failed(self, key: str, now: datetime) -> None:
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._failures) > 100_000:  # bounded memory under a spray of keys
                self._failures = {
                    k: v for k, v in self._failures.items() if v and v[-1] > now - self.window
                }

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
