"""The mail loop and a busy database (issue 11 item 2): waiting for the write lock never freezes
the event loop, and an e-mail whose outcome could not be recorded at once is never mailed twice.
A real SMTP server (aiosmtpd) counts the messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from relaybird.context import AppContext
from relaybird.db.session import Database
from relaybird.events.mail import queue_email
from relaybird.kit.time import ManualClock
from relaybird.mail import service
from relaybird.models import OutgoingEmail
from tests.factories import KeyMaker
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.stall import (
    WriteLock,
    assert_responsive,
    db_calls_on_event_loop,
    describe,
    short_lock_waits,
)


def _queue(ctx: AppContext, count: int = 1) -> None:
    ws = KeyMaker(ctx).workspace_id()
    with ctx.db.write() as session:
        for n in range(count):
            queue_email(
                session,
                workspace_id=ws,
                to=f"ada{n}@example.com",
                subject="Your invitation",
                body="Your code is ABC",
                kind="invitation",
                at=ctx.clock.now(),
            )


def _statuses(ctx: AppContext) -> list[str]:
    with ctx.db.read() as session:
        return [e.status for e in session.query(OutgoingEmail).order_by(OutgoingEmail.id)]


@pytest.fixture
def busy_ctx(db_url: str, clock: ManualClock, smtp_server: SmtpServer) -> Iterator[AppContext]:
    """A context whose connections give up on a held lock after 200 ms instead of 30 s."""
    from tests.conftest import make_settings

    db = Database(db_url)
    short_lock_waits(db)
    context = AppContext(
        settings=make_settings(db_url, smtp_url=smtp_server.url), db=db, clock=clock
    )
    yield context
    db.dispose()


def test_waiting_for_the_write_lock_leaves_the_event_loop_free(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    ctx.settings = ctx.settings.model_copy(update={"smtp_url": smtp_server.url})
    _queue(ctx, 3)

    async def run() -> int:
        with db_calls_on_event_loop(ctx.db) as calls:
            sent = await assert_responsive(ctx.db, service.deliver_due(ctx))
        assert calls == [], describe(calls)
        return sent

    assert asyncio.run(run()) == 3
    assert len(smtp_server.wait_for(3)) == 3
    assert _statuses(ctx) == ["SENT"] * 3


class _Seen(logging.Handler):
    """Sets ``event`` (on its event loop) when a log line containing ``text`` is written."""

    def __init__(self, text: str, event: asyncio.Event) -> None:
        super().__init__(logging.WARNING)
        self.text = text
        self.event = event
        self.loop = asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.loop.call_soon_threadsafe(self.event.set)


def test_an_email_is_never_sent_twice_while_a_request_holds_the_write_lock(
    busy_ctx: AppContext, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    """A request takes the write lock while the e-mail is on the wire and keeps it longer than
    the mail loop's connection waits: recording "sent" fails at first. The outcome must be kept
    and recorded once the lock is free, not lost (the row would be claimed and mailed again
    when its lease ends)."""
    ctx = busy_ctx
    _queue(ctx)
    lock = WriteLock(ctx.db)
    smtp_server.on_receive = lock.acquire
    mail_log = logging.getLogger("relaybird.mail")

    async def run() -> None:
        waiting = asyncio.Event()
        seen = _Seen("recording its outcome waits", waiting)
        mail_log.addHandler(seen)
        try:
            first = asyncio.create_task(service.deliver_due(ctx))
            first.add_done_callback(lambda _: waiting.set())
            # Until the loop either waits for the lock or gives up on it.
            await asyncio.wait_for(waiting.wait(), timeout=60)
        finally:
            mail_log.removeHandler(seen)
        smtp_server.on_receive = None
        lock.release()
        with contextlib.suppress(OperationalError):  # today's code: the loop crashed here
            await first
        # Well past the claim's lease: a row still claimed would be mailed again now.
        clock.advance(service.LEASE + timedelta(seconds=1))
        await service.deliver_due(ctx)

    try:
        asyncio.run(run())
    finally:
        lock.release()
    assert len(smtp_server.wait_for(1)) == 1
    assert len(smtp_server.messages) == 1
    assert _statuses(ctx) == ["SENT"]
