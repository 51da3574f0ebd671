"""Leases (one worker per row, taken over after expiry) and wake-ups, on both databases."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from relaybird.context import AppContext
from relaybird.db import leases
from relaybird.db.notify import WAKER, Waker, notify
from relaybird.kit.time import ManualClock
from relaybird.models import Sender
from tests.factories import make_sender, make_workspace

TTL = timedelta(seconds=30)


def _sender(ctx: AppContext) -> int:
    with ctx.db.write() as s:
        return make_sender(s, make_workspace(s))


def test_one_holder_at_a_time_and_takeover_after_expiry(
    ctx: AppContext, clock: ManualClock
) -> None:
    sid = _sender(ctx)
    with ctx.db.write() as s:
        assert leases.acquire(s, Sender, sid, "w1", clock.now(), TTL)
    with ctx.db.write() as s:
        assert not leases.acquire(s, Sender, sid, "w2", clock.now(), TTL)
        assert leases.acquire(s, Sender, sid, "w1", clock.now(), TTL)  # renewal by the holder
        assert leases.holder(s, Sender, sid, clock.now()) == "w1"
    clock.advance(TTL + timedelta(seconds=1))  # w1 died: it stopped renewing
    with ctx.db.write() as s:
        assert leases.holder(s, Sender, sid, clock.now()) is None
        assert leases.acquire(s, Sender, sid, "w2", clock.now(), TTL)
    with ctx.db.write() as s:
        assert not leases.renew(s, Sender, sid, "w1", clock.now(), TTL)  # w1 learns it lost it
        leases.release(s, Sender, sid, "w1")  # a stale release changes nothing
        assert leases.holder(s, Sender, sid, clock.now()) == "w2"
        leases.release(s, Sender, sid, "w2")
        assert leases.holder(s, Sender, sid, clock.now()) is None


def test_racing_workers_never_both_win(ctx: AppContext, clock: ManualClock) -> None:
    sid = _sender(ctx)
    winners: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        with ctx.db.write() as s:
            if leases.acquire(s, Sender, sid, name, clock.now(), TTL):
                with lock:
                    winners.append(name)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_notify_wakes_a_waiting_loop_after_commit_only(ctx: AppContext) -> None:
    async def scenario() -> tuple[bool, bool]:
        stop = asyncio.Event()
        listener = None
        if ctx.db.is_postgres:
            listener = asyncio.create_task(WAKER.listen(ctx.db.url, {"test_wake"}, stop))
            await asyncio.sleep(0.5)  # let LISTEN start
        rolled_back = asyncio.create_task(WAKER.wait("test_wake", seconds=1.0))
        await asyncio.sleep(0.05)

        def rollback() -> None:
            try:
                with ctx.db.write() as s:
                    notify(s, "test_wake")
                    raise RuntimeError("rollback")
            except RuntimeError:
                pass

        await asyncio.to_thread(rollback)
        woken_by_rollback = await rolled_back
        committed = asyncio.create_task(WAKER.wait("test_wake", seconds=10.0))
        await asyncio.sleep(0.05)

        def commit() -> None:
            with ctx.db.write() as s:
                notify(s, "test_wake")

        await asyncio.to_thread(commit)
        woken = await committed
        stop.set()
        if listener is not None:
            await listener
        return woken_by_rollback, woken

    woken_by_rollback, woken = asyncio.run(scenario())
    assert woken_by_rollback is False
    assert woken is True


def test_wait_times_out_without_a_wake() -> None:
    assert asyncio.run(Waker().wait("nobody", seconds=0.05)) is False
