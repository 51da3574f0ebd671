"""Wake-ups between processes without busy polling.

On PostgreSQL, writers call ``notify(session, channel)`` inside their transaction (delivered at
commit, dropped on rollback) and loops ``await waker.wait(channel, seconds)``; a dedicated
connection LISTENs and wakes the waiting loops. On SQLite (one process) the same calls use an
in-process event set after commit. Loops always pass a timeout: a notification is a hint to look
now, never the only reason to look.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections import defaultdict

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from relaybird.db.engine import normalise_url

log = logging.getLogger("relaybird.notify")

_CHANNEL = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class Waker:
    """Per-process registry of waiting loops, fed by NOTIFY (PostgreSQL) or by commits (SQLite)."""

    def __init__(self) -> None:
        self._events: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = defaultdict(
            set
        )
        self._lock = threading.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._channels: set[str] = set()

    def wake(self, channel: str) -> None:
        """Wake every loop waiting on ``channel`` (thread-safe)."""
        with self._lock:
            waiting = list(self._events.get(channel, ()))
        for loop, ev in waiting:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                loop.call_soon_threadsafe(ev.set)

    async def wait(self, channel: str, seconds: float) -> bool:
        """Sleep until woken on ``channel`` or ``seconds`` pass; True when woken."""
        _check(channel)
        ev = asyncio.Event()
        key = (asyncio.get_running_loop(), ev)
        with self._lock:
            self._events[channel].add(key)
        try:
            await asyncio.wait_for(ev.wait(), timeout=seconds)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._events[channel].discard(key)

    async def listen(self, url: str, channels: set[str], stop: asyncio.Event) -> None:
        """PostgreSQL only: LISTEN on ``channels`` and wake local waiters until ``stop``."""
        import psycopg

        for channel in channels:
            _check(channel)
        dsn = normalise_url(url).replace("postgresql+psycopg://", "postgresql://")
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    for channel in sorted(channels):
                        await conn.execute(f"LISTEN {channel}")
                    while not stop.is_set():
                        # notifies(timeout=) ends the iteration after a quiet second, so
                        # ``stop`` is looked at without cancelling psycopg mid-read.
                        async for note in conn.notifies(timeout=1.0):
                            self.wake(note.channel)
            except Exception:
                log.warning("LISTEN connection lost; reconnecting in 1 s", exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)


WAKER = Waker()

# The channels the loops wait on; writers name one of these in ``notify``.
INBOX = "relaybird_inbox"  # a webhook body was stored
OUTBOX = "relaybird_outbox"  # an event was written to the outbox
DISPATCH = "relaybird_dispatch"  # recipients became due (campaign started, resumed, imported)
MAIL = "relaybird_mail"  # an e-mail was queued
CHANNELS = frozenset({INBOX, OUTBOX, DISPATCH, MAIL})


def notify(session: Session, channel: str) -> None:
    """Ask for a wake-up on ``channel`` when the caller's transaction commits.

    Once per channel per transaction: on PostgreSQL the first call runs ``pg_notify`` (delivered
    at commit, dropped on rollback), later calls in the same transaction cost nothing. On SQLite
    the waiting loops of this process are woken after the commit.
    """
    _check(channel)
    pending: set[str] = session.info.setdefault("relaybird_notify", set())
    if channel in pending:
        return
    if not pending:
        event.listen(session, "after_commit", _after_commit, once=True)
        event.listen(session, "after_rollback", _after_rollback, once=True)
    pending.add(channel)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:c, '')"), {"c": channel})


def _after_commit(session: Session) -> None:
    channels = session.info.pop("relaybird_notify", set())
    if session.get_bind().dialect.name != "postgresql":
        for channel in channels:
            WAKER.wake(channel)


def _after_rollback(session: Session) -> None:
    session.info.pop("relaybird_notify", None)


async def nap(stop: asyncio.Event, channel: str, seconds: float) -> None:
    """A loop's idle wait: return when ``channel`` is notified, ``stop`` is set, or ``seconds``
    pass, whichever comes first. The timeout is the safety net: a lost notification delays work
    by at most ``seconds``, it never loses it."""
    if stop.is_set():
        return
    stopper = asyncio.ensure_future(stop.wait())
    waker = asyncio.ensure_future(WAKER.wait(channel, seconds))
    try:
        await asyncio.wait({stopper, waker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (stopper, waker):
            task.cancel()
        await asyncio.gather(stopper, waker, return_exceptions=True)


def _check(channel: str) -> None:
    if not _CHANNEL.fullmatch(channel):
        raise ValueError(f"bad notification channel {channel!r}")
