"""Leases (one worker per row, taken over after expiry) and wake-ups, on both databases."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from relaybird.context import AppContext
from relaybird.db import Database, leases
from relaybird.db.notify import WAKER, Waker, notify
from relaybird.inbox import applier
from relaybird.inbox.repository import NewEvent
from relaybird.inbox.writer import InboxWriter
from relaybird.kit.time import ManualClock
from relaybird.models import InboxEvent, Sender
from relaybird.runtime import run_loops
from relaybird.wiring import registered_loops
from tests.factories import make_sender, make_workspace
from tests.inbox.helpers import status, statuses_body

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


def test_a_stored_webhook_wakes_the_applier_long_before_its_poll(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver (an api process) and the applier (a worker) share only the database: the
    receiver's commit notifies, the idle applier wakes. Its poll is set to an hour here, so the
    row can only be applied promptly if the notification arrived (LISTEN/NOTIFY on PostgreSQL,
    the in-process commit hook on SQLite)."""
    monkeypatch.setattr(applier, "IDLE_WAIT", 3600.0)
    writer_db = Database(ctx.db.url)  # the "api process": its own engine and connections

    async def scenario() -> str:
        stop = asyncio.Event()
        loops = asyncio.create_task(run_loops(ctx, stop, registered_loops({"inbox.applier"})))
        await asyncio.sleep(1.0)  # the applier has found nothing and naps; LISTEN is up
        writer = InboxWriter(writer_db)
        body = statuses_body([status("wamid.nobody", "sent")])
        await writer.store(NewEvent("whatsapp", "wake-1", body, ctx.clock.now()))
        try:
            deadline = asyncio.get_running_loop().time() + 30
            while (state := _inbox_status(ctx)) == "PENDING":
                assert asyncio.get_running_loop().time() < deadline, "the applier never woke"
                await asyncio.sleep(0.05)
            return state
        finally:
            stop.set()
            await writer.close()
            await loops

    try:
        assert asyncio.run(scenario()) != "PENDING"
    finally:
        writer_db.dispose()


def _inbox_status(ctx: AppContext) -> str:
    with ctx.db.read() as session:
        return str(session.scalars(select(InboxEvent.status)).one())


def test_notify_runs_once_per_channel_per_transaction(ctx: AppContext) -> None:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "pg_notify" in statement:
            statements.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:
        with ctx.db.write() as s:
            for _ in range(5):
                notify(s, "test_once")
            notify(s, "test_other")
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", count)
    assert len(statements) == (2 if ctx.db.is_postgres else 0)
