"""Every background loop (wiring.registered_loops) keeps the event loop free (issue 11 item 2).

Each loop runs with work planted for it while another connection holds the database's write
lock. Two detectors (tests/fixtures/stall.py): no SQL statement may run on the event loop's
thread, and the event loop must keep turning while the lock is held. A loop added later is
checked too: the parameters are the registered loops themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from relaybird.context import AppContext
from relaybird.events.mail import queue_email
from relaybird.inbox import repository as inbox_repo
from relaybird.kit.time import utcnow
from relaybird.wiring import registered_loops
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.stall import TICKS, db_calls_on_event_loop, describe, write_lock_held
from tests.inbox.helpers import status, statuses_body

# Nothing listens there: provider calls fail at once and never leave the machine.
REFUSED = "http://127.0.0.1:9"


def _plant_mail(ctx: AppContext, smtp: SmtpServer) -> None:
    ctx.settings = ctx.settings.model_copy(update={"smtp_url": smtp.url})
    with ctx.db.write() as session:
        queue_email(
            session,
            workspace_id=make_workspace(session),
            to="ada@example.com",
            subject="Hello",
            body="Hello",
            kind="invitation",
            at=ctx.clock.now(),
        )


def _plant_inbox(ctx: AppContext, _smtp: SmtpServer) -> None:
    body = statuses_body([status("wamid.1", "delivered", callback="r:1")])
    with ctx.db.write() as session:
        inbox_repo.insert_ignore(
            session, [inbox_repo.NewEvent("whatsapp", "k1", body, ctx.clock.now())]
        )


def _plant_campaign(ctx: AppContext, _smtp: SmtpServer) -> None:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, last_synced_at=None)
        campaign = make_campaign(session, ws, sender, state="RUNNING")
        make_recipients(session, ws, campaign, 3, at=utcnow())


PLANTED: dict[str, Callable[[AppContext, SmtpServer], None]] = {
    "mail": _plant_mail,
    "inbox.applier": _plant_inbox,
    "dispatcher": _plant_campaign,
    "senders.sync": _plant_campaign,
    "scheduler": _plant_campaign,
}


@pytest.mark.parametrize("name", sorted(registered_loops()))
def test_no_loop_blocks_the_event_loop_while_the_write_lock_is_held(
    ctx: AppContext, smtp_server: SmtpServer, name: str
) -> None:
    ctx.settings = ctx.settings.model_copy(update={"graph_api_url": REFUSED})
    plant = PLANTED.get(name)
    if plant is not None:
        plant(ctx, smtp_server)
    loop = registered_loops()[name]

    async def run() -> bool:
        stop = asyncio.Event()
        with write_lock_held(ctx.db) as lock:
            task = asyncio.create_task(loop(ctx, stop), name=name)
            for _ in range(TICKS):
                await asyncio.sleep(0.005)
            stalled = lock.expired
        # A moment with the lock free (the loop does its work), then stop it.
        for _ in range(TICKS):
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=60)
        await ctx.aclose()  # the provider's HTTP session, as the app's shutdown does
        return stalled

    with db_calls_on_event_loop(ctx.db) as calls:
        stalled = asyncio.run(run())
    assert calls == [], describe(calls)
    assert not stalled, f"loop {name} blocked the event loop while the write lock was held"
