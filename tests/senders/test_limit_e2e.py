"""A campaign larger than its sender's limit, with the real loops (dispatcher, scheduler, mail)
against the simulator and a real SMTP server, on a fast (manual) clock: exactly the limit goes
out, the sender shows RESTRICTED with its release time, admins get one e-mail, and sending
resumes by itself once the moving window frees room."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.dispatcher.loop import dispatcher_loop
from relaybird.kit.time import ManualClock
from relaybird.mail.service import mail_loop
from relaybird.models import Sender
from relaybird.wiring import scheduler_loop
from tests.conftest import make_settings
from tests.dispatcher.harness import campaign_with, phones, sim_sender, states
from tests.factories import KeyMaker
from tests.fixtures.simulator import SimHandle
from tests.fixtures.smtp import SmtpServer
from tests.senders.factories import add_admin


def _status(ctx: AppContext, sender_id: int) -> str:
    with ctx.db.read() as s:
        sender = s.get(Sender, sender_id)
        assert sender is not None
        return sender.status


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_campaign_over_the_limit_waits_and_resumes_by_itself(
    ctx: AppContext,
    clock: ManualClock,
    simulator: SimHandle,
    smtp_server: SmtpServer,
    client: TestClient,
    keys: KeyMaker,
) -> None:
    loops_ctx = dataclasses.replace(
        ctx, settings=make_settings(ctx.settings.database_url, smtp_url=smtp_server.url)
    )
    add_admin(ctx, keys.workspace_id(), "ops@example.test")
    sender = sim_sender(loops_ctx, simulator, messaging_limit="TIER_50")
    campaign = campaign_with(ctx, sender, phones(80))
    t0 = clock.now()

    stop_flag = {"stop": False}

    async def run() -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(dispatcher_loop(loops_ctx, stop, poll=0.05)),
            asyncio.create_task(scheduler_loop(loops_ctx, stop)),
            asyncio.create_task(mail_loop(loops_ctx, stop)),
        ]
        while not stop_flag["stop"]:
            await asyncio.sleep(0.05)
            for task in tasks:
                if task.done():
                    task.result()
        stop.set()
        await asyncio.gather(*tasks)
        await loops_ctx.provider.close()  # its HTTP session belongs to this event loop

    errors: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # surfaced in the test thread below
            errors.append(exc)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    try:
        _wait(
            lambda: (
                _status(ctx, sender) == "RESTRICTED"
                and not states(ctx, campaign).get("IN_PROGRESS")
            )
        )
        assert len({m["to"] for m in simulator.sent()}) == 50  # exactly the limit
        assert states(ctx, campaign).get("INITIAL") == 30

        detail = client.get(f"/api/v1/senders/{sender}", headers=keys.headers()).json()
        release = t0 + timedelta(hours=24)
        assert detail["status"] == "RESTRICTED"
        assert detail["usage"]["used"] == 50 and detail["usage"]["limit"] == 50
        assert detail["sending"]["business_initiated"] is False
        assert detail["sending"]["replies"] is True
        assert detail["next"]["kind"] == "restriction_release"
        assert detail["next"]["text"].startswith("restricted until 6 Jan 09:00 UTC")
        assert detail["next"]["at"] == release.isoformat().replace("+00:00", "Z")
        body = client.get(f"/api/v1/campaigns/{campaign}", headers=keys.headers()).json()
        assert body["state"] == "RUNNING" and "RESTRICTED" in body["waiting_reason"]

        [mail] = smtp_server.wait_for(1)
        assert mail["To"] == "ops@example.test" and "RESTRICTED" in mail["Subject"]

        # The window frees room a day later: nothing to do but let the clock run.
        clock.advance(timedelta(hours=24, seconds=1))
        _wait(
            lambda: (
                not states(ctx, campaign).get("INITIAL")
                and not states(ctx, campaign).get("IN_PROGRESS")
            )
        )
        assert _status(ctx, sender) == "CONNECTED"
        assert len({m["to"] for m in simulator.sent()}) == 80
        assert len(smtp_server.messages) == 1  # released: no second notice
    finally:
        stop_flag["stop"] = True
        thread.join(30)
    assert not errors, errors
