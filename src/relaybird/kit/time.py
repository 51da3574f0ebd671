"""Time as a dependency: code asks a Clock, tests inject a fast or frozen one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


class ScaledClock:
    """Real time sped up by ``factor`` from a starting point (the simulator's fast clock)."""

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        import time

        self._factor = factor
        self._start_wall = time.monotonic()
        self._start = start or datetime.now(UTC)
        self._mono = time.monotonic

    def now(self) -> datetime:
        elapsed = self._mono() - self._start_wall
        return self._start + timedelta(seconds=elapsed * self._factor)


def rfc3339(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def readable(when: datetime, now: datetime | None = None) -> str:
    """A time as a person reads it, in UTC: ``1 Dec 05:43 UTC``, or ``05:43 UTC`` when ``now``
    is given and falls on the same day."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    clock = when.strftime("%H:%M UTC")
    if now is not None and when.date() == now.astimezone(UTC).date():
        return clock
    return f"{when.day} {when:%b} {clock}"
