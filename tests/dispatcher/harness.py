"""Running the real dispatcher loop against the simulator until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from relaybird.campaigns import repository as campaigns_repo
from relaybird.campaigns.jobs import finish_campaigns
from relaybird.campaigns.recipients import import_recipients
from relaybird.campaigns.schemas import CampaignCreate, TemplateSpec
from relaybird.campaigns.service import create, start
from relaybird.context import AppContext
from relaybird.dispatcher.loop import dispatcher_loop
from relaybird.kit.time import ManualClock
from relaybird.models import Campaign, Recipient, Sender
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import new_sender
from tests.fixtures.simulator import SimHandle


def sim_sender(ctx: AppContext, simulator: SimHandle, **kw: Any) -> int:
    """A sender known to both sides (the simulator registers numbers on first use)."""
    sender_id = new_sender(ctx, **kw)
    with ctx.db.read() as s:
        sender = s.get(Sender, sender_id)
        assert sender is not None
        pnid, token = sender.phone_number_id, sender.access_token
    simulator.add_number(pnid, token)
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    return sender_id


def campaign_with(
    ctx: AppContext, sender_id: int, phones: list[str], *, started: bool = True
) -> int:
    now = ctx.clock.now()
    with ctx.db.write() as s:
        ws = s.get(Sender, sender_id).workspace_id  # type: ignore[union-attr]
        body = CampaignCreate(
            name="c",
            sender_id=sender_id,
            template=TemplateSpec(name="spring", language="en_US", body_params=["name"]),
        )
        cid = create(s, ws, body, actor="test", at=now).id
        import_recipients(
            s,
            cid,
            [
                {
                    "workspace_id": ws,
                    "campaign_id": cid,
                    "row_number": i + 2,
                    "phone": p,
                    "raw_phone": p,
                    "params": [f"n{i}"],
                    "state": "INITIAL",
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, p in enumerate(phones)
            ],
        )
        campaigns_repo.add_total(s, cid, len(phones))
        if started:
            start(s, ws, cid, actor="test", at=now)
    return cid


def run_until(
    ctx: AppContext,
    done: Callable[[], bool],
    *,
    timeout: float = 60.0,
    tick: timedelta = timedelta(seconds=0),
) -> None:
    """Run the dispatcher loop until ``done()``; each poll moves the ManualClock by ``tick``
    (so retries come due) and runs the finishing job."""

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher_loop(ctx, stop, poll=0.05))
        try:
            async with asyncio.timeout(timeout):
                while not await asyncio.to_thread(done):
                    if task.done():
                        task.result()
                    if tick and isinstance(ctx.clock, ManualClock):
                        ctx.clock.advance(tick)
                    await asyncio.to_thread(finish_campaigns, ctx)
                    await asyncio.sleep(0.05)
        finally:
            stop.set()
            await task
            await ctx.provider.close()  # its HTTP session belongs to this event loop

    asyncio.run(main())


def states(ctx: AppContext, campaign_id: int) -> dict[str, int]:
    with ctx.db.read() as s:
        return campaigns_repo.count_by_state_slow(s, campaign_id)


def campaign(ctx: AppContext, campaign_id: int) -> Campaign:
    with ctx.db.read() as s:
        c = s.get(Campaign, campaign_id)
        assert c is not None
        return c


def recipients(ctx: AppContext, campaign_id: int) -> list[Recipient]:
    with ctx.db.read() as s:
        return list(
            s.scalars(
                select(Recipient).where(Recipient.campaign_id == campaign_id).order_by(Recipient.id)
            )
        )


def counters_match(ctx: AppContext, campaign_id: int) -> bool:
    with ctx.db.read() as s:
        counters = {
            k: v for k, v in campaigns_repo.counts(s, [campaign_id])[campaign_id].items() if v
        }
        return counters == campaigns_repo.count_by_state_slow(s, campaign_id)


def phones(n: int, start: int = 0) -> list[str]:
    return [f"+1212555{start + i:04d}" for i in range(n)]
