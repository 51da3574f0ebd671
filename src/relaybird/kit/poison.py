"""One bad row never stops a loop (issue 11): the rule every background loop follows.

A loop step works row by row where a row can be bad (a stored body that cannot be parsed, an
e-mail whose address cannot be written, a sender whose token cannot be sent, ...). A row whose
work raises is *set aside with its reason* and the loop goes on with the rows behind it:

- rows with a terminal state of their own take it, with the reason stored where people look
  (an inbox body becomes a dead letter, an e-mail FAILED, a room message FAILED, ...), using
  ``reason_of(exc)`` for the text;
- rows without one (a scheduler job's campaign or sender) go to the loop's ``SetAside``: skipped
  for a while that doubles with each failure (never retried in a tight loop), the reason logged.

``set_aside(log, what, exc)`` logs the failure once, with its traceback, and returns the reason.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

MAX_REASON = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def reason_of(exc: BaseException) -> str:
    """``TypeName: message`` on one line (control characters become spaces), at most 500
    characters: what is stored and shown as the reason a row was set aside."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return _CONTROL.sub(" ", text)[:MAX_REASON]


def set_aside(log: logging.Logger, what: str, exc: BaseException) -> str:
    """Log that ``what`` (e.g. "inbox row 12") was set aside, with the traceback; return the
    reason to store."""
    reason = reason_of(exc)
    log.error("%s set aside: %s", what, reason, exc_info=exc)
    return reason


@dataclass
class _Entry:
    reason: str
    strikes: int
    until: float


class SetAside:
    """The rows a loop set aside in this process, for those with no state of their own to take:
    key → reason, skipped until a backoff (``first`` seconds, doubling, at most ``cap``) ends.
    A success clears the key. Thread-safe (scheduler jobs run in threads)."""

    def __init__(
        self,
        log: logging.Logger,
        *,
        first: float = 60.0,
        cap: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.first = first
        self.cap = cap
        self.clock = clock
        self._rows: dict[Hashable, _Entry] = {}
        self._lock = threading.Lock()

    def waiting(self, key: Hashable) -> bool:
        with self._lock:
            entry = self._rows.get(key)
            return entry is not None and self.clock() < entry.until

    def reason(self, key: Hashable) -> str | None:
        with self._lock:
            entry = self._rows.get(key)
            return None if entry is None else entry.reason

    def strike(self, key: Hashable, what: str, exc: BaseException) -> str:
        reason = set_aside(self.log, what, exc)
        with self._lock:
            strikes = self._rows[key].strikes + 1 if key in self._rows else 1
            wait = min(self.cap, self.first * 2 ** (strikes - 1))
            self._rows[key] = _Entry(reason, strikes, self.clock() + wait)
        return reason

    def clear(self, key: Hashable) -> None:
        with self._lock:
            self._rows.pop(key, None)

    def each(self, keys: Iterable[K], work: Callable[[K], int], what: str) -> int:
        """Run ``work(key)`` for every key not set aside; a key whose work raises is set aside
        (``what`` names the rows, e.g. "sender"). Returns the sum of what ``work`` returned."""
        done = 0
        for key in keys:
            if self.waiting(key):
                continue
            try:
                done += work(key)
            except Exception as exc:
                self.strike(key, f"{what} {key}", exc)
            else:
                self.clear(key)
        return done
