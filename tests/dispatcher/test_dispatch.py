"""The dispatcher against the simulator over real HTTP, through the real WhatsApp adapter."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.models import Sender, Transition
from tests.dispatcher.harness import (
    campaign,
    campaign_with,
    counters_match,
    phones,
    recipients,
    run_until,
    sim_sender,
    states,
)
from tests.factories import KeyMaker
from tests.fixtures.simulator import SimHandle


def test_sends_everyone_once_and_completes(ctx: AppContext, simulator: SimHandle) -> None:
    sender = sim_sender(ctx, simulator)
    cid = campaign_with(ctx, sender, phones(40))
    run_until(ctx, lambda: campaign(ctx, cid).state == "COMPLETED")
    rows = recipients(ctx, cid)
    assert {r.state for r in rows} == {"SENT"}
    assert all(r.wamid and r.wamid.startswith("wamid.") for r in rows)
    assert all(r.attempts == 1 and r.lease_expires_at is None for r in rows)
    sent = simulator.sent()
    assert len(sent) == 40
    assert sorted(s["to"] for s in sent) == sorted(p.lstrip("+") for p in phones(40))
    by_to = {s["to"]: s for s in sent}
    first = rows[0]
    assert by_to[first.phone.lstrip("+")]["callback_data"] == f"r:{first.id}"  # type: ignore[union-attr]
    assert by_to[first.phone.lstrip("+")]["params"] == ["n0"]  # type: ignore[union-attr]
    assert counters_match(ctx, cid)


def test_not_on_whatsapp_refusal_is_sending_failed(ctx: AppContext, simulator: SimHandle) -> None:
    sender = sim_sender(ctx, simulator)
    simulator.fault("error", code=131026, title="Message undeliverable", to="12125550001")
    cid = campaign_with(ctx, sender, phones(3))
    run_until(ctx, lambda: campaign(ctx, cid).state == "COMPLETED")
    rows = {r.phone: r for r in recipients(ctx, cid)}
    failed = rows["+12125550001"]
    assert failed.state == "SENDING_FAILED" and failed.error_code == 131026
    assert states(ctx, cid) == {"SENT": 2, "SENDING_FAILED": 1}


def test_transient_errors_retry_with_backoff_then_send(
    ctx: AppContext, simulator: SimHandle
) -> None:
    sender = sim_sender(ctx, simulator)
    simulator.fault("error", code=131000, to="12125550000", count=2)
    cid = campaign_with(ctx, sender, phones(2))
    run_until(ctx, lambda: campaign(ctx, cid).state == "COMPLETED", tick=timedelta(seconds=5))
    rows = recipients(ctx, cid)
    assert [r.state for r in rows] == ["SENT", "SENT"]
    assert rows[0].attempts == 3
    from relaybird.events.transitions import history

    with ctx.db.read() as s:
        moves = [
            (t.event, t.to_state) for t in history(s, "recipient", rows[0].id, rows[0].workspace_id)
        ]
    assert moves == [
        ("claimed", "IN_PROGRESS"),
        ("transient_error", "RETRY_SCHEDULED"),
        ("claimed", "IN_PROGRESS"),
        ("transient_error", "RETRY_SCHEDULED"),
        ("claimed", "IN_PROGRESS"),
        ("accepted", "SENT"),
    ]


def test_retries_exhausted_is_error(ctx: AppContext, simulator: SimHandle) -> None:
    ctx.settings = ctx.settings.model_copy(update={"max_attempts": 2})
    sender = sim_sender(ctx, simulator)
    simulator.fault("error", code=131000, to="12125550000", count=5)
    cid = campaign_with(ctx, sender, phones(1))
    run_until(ctx, lambda: campaign(ctx, cid).state == "COMPLETED", tick=timedelta(seconds=5))
    (row,) = recipients(ctx, cid)
    assert row.state == "ERROR" and row.attempts == 2 and row.error_code == 131000
    assert simulator.sent_to("+12125550000") == 0


def test_template_stop_pauses_and_puts_recipients_back_untouched(
    ctx: AppContext, simulator: SimHandle
) -> None:
    sender = sim_sender(ctx, simulator)
    simulator.fault("error", code=132001, title="Template name does not exist", count=1000)
    cid = campaign_with(ctx, sender, phones(30))
    run_until(ctx, lambda: campaign(ctx, cid).state == "PAUSED")
    c = campaign(ctx, cid)
    assert c.paused_by == "engine" and "132001" in (c.pause_reason or "")
    run_until(ctx, lambda: states(ctx, cid).get("IN_PROGRESS", 0) == 0)
    rows = recipients(ctx, cid)
    assert {r.state for r in rows} == {"INITIAL"}
    assert all(r.attempts == 0 for r in rows)
    assert simulator.sent() == []
    assert counters_match(ctx, cid)


def test_a_sender_stop_makes_every_campaign_wait_and_they_resume_by_themselves(
    ctx: AppContext, simulator: SimHandle, client: TestClient, keys: KeyMaker
) -> None:
    """Issue 12 item 3: one rule whatever told us the number cannot send. A send error says so
    here: the campaigns stay RUNNING with a visible waiting_reason (not PAUSED), and resume when
    a later reading says the number can send."""
    sender = sim_sender(ctx, simulator)
    simulator.fault("error", code=131031, title="Account has been locked", count=1000)
    first = campaign_with(ctx, sender, phones(10))
    second = campaign_with(ctx, sender, phones(10, start=100))
    run_until(
        ctx,
        lambda: (
            _sender_status(ctx, sender) == "RESTRICTED"
            and not states(ctx, first).get("IN_PROGRESS")
            and not states(ctx, second).get("IN_PROGRESS")
        ),
    )
    for cid in (first, second):
        assert campaign(ctx, cid).state == "RUNNING"
        assert {r.state for r in recipients(ctx, cid)} == {"INITIAL"}
        assert all(r.attempts == 0 for r in recipients(ctx, cid))
        body = client.get(f"/api/v1/campaigns/{cid}", headers=keys.headers()).json()
        assert body["state"] == "RUNNING"
        assert "RESTRICTED" in body["waiting_reason"] and "131031" in body["waiting_reason"]

    # The lock is lifted at Meta; the next sync (made after the error) reads CONNECTED.
    simulator.request("DELETE", "/_sim/faults")
    asyncio.run(_sync(ctx, sender))
    assert _sender_status(ctx, sender) == "CONNECTED"
    run_until(
        ctx,
        lambda: (
            campaign(ctx, first).state == "COMPLETED" and campaign(ctx, second).state == "COMPLETED"
        ),
    )
    assert len({m["to"] for m in simulator.sent()}) == 20


@pytest.mark.parametrize(
    ("code", "status"),
    [(133010, "OFFLINE"), (368, "RESTRICTED"), (131048, "RESTRICTED"), (190, "OFFLINE")],
)
def test_a_sender_level_send_error_moves_the_sender(
    ctx: AppContext, simulator: SimHandle, code: int, status: str
) -> None:
    """Not registered, or a token/permission/payment refusal → OFFLINE; blocked or spam-limited
    → RESTRICTED; the campaign waits RUNNING (one move of the sender, no pause)."""
    sender = sim_sender(ctx, simulator)
    simulator.fault("error", code=code, title=f"error {code}", count=1000)
    cid = campaign_with(ctx, sender, phones(5))
    run_until(
        ctx,
        lambda: _sender_status(ctx, sender) == status and not states(ctx, cid).get("IN_PROGRESS"),
    )
    assert campaign(ctx, cid).state == "RUNNING"
    with ctx.db.read() as s:
        moves = s.scalars(
            select(Transition.event).where(
                Transition.entity == "sender", Transition.entity_id == sender
            )
        ).all()
    assert len(moves) == 1, moves


async def _sync(ctx: AppContext, sender_id: int) -> None:
    from relaybird.providers.whatsapp.client import WhatsAppCloudClient
    from relaybird.senders.sync import sync_sender

    provider = ctx.provider
    assert isinstance(provider, WhatsAppCloudClient)
    fresh = WhatsAppCloudClient(provider.base_url, "v23.0")
    ctx.provider = fresh
    try:
        await sync_sender(ctx, sender_id, actor="sync")
    finally:
        await fresh.close()
        ctx.provider = WhatsAppCloudClient(provider.base_url, "v23.0")


def _sender_status(ctx: AppContext, sender_id: int) -> str:
    with ctx.db.read() as s:
        return str(s.get_one(Sender, sender_id).status)


def test_nothing_leaves_a_pending_offline_or_banned_sender(
    ctx: AppContext, simulator: SimHandle
) -> None:
    import asyncio

    from relaybird.dispatcher.loop import dispatcher_loop

    cids = []
    for status in ("PENDING", "OFFLINE", "BANNED", "RESTRICTED"):
        sender = sim_sender(ctx, simulator, status=status)
        cids.append(campaign_with(ctx, sender, phones(5)))

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher_loop(ctx, stop, poll=0.05))
        # Several claim rounds of every runner (idle_poll is 0.25 s).
        await asyncio.sleep(1.5)
        stop.set()
        await task

    asyncio.run(main())
    assert simulator.requests() == []
    for cid in cids:
        assert states(ctx, cid) == {"INITIAL": 5}


def test_one_recipients_transient_error_retries_it_and_never_slows_the_sender(
    ctx: AppContext, simulator: SimHandle
) -> None:
    """Issue 12 item 14: 5 % of sends fail with 131000 (several at once, with 80 in flight):
    each failed recipient is retried by itself, and the sender is never slowed down."""
    from relaybird.campaigns.jobs import finish_campaigns
    from relaybird.dispatcher.runner import SenderRunner
    from relaybird.kit.time import ManualClock

    sender = sim_sender(ctx, simulator)
    simulator.configure(error_rates={"131000": 0.05})
    cid = campaign_with(ctx, sender, phones(300))
    runner = SenderRunner(ctx, sender, ctx.provider, "test-runner")
    assert isinstance(ctx.clock, ManualClock)

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            async with asyncio.timeout(60):
                while campaign(ctx, cid).state != "COMPLETED":
                    ctx.clock.advance(timedelta(seconds=5))  # retries come due
                    await asyncio.to_thread(finish_campaigns, ctx)
                    await asyncio.sleep(0.05)
        finally:
            stop.set()
            await task
            await ctx.provider.close()

    asyncio.run(main())
    rows = recipients(ctx, cid)
    retried = [r for r in rows if r.attempts > 1]
    assert {r.state for r in rows} <= {"SENT", "ERROR"} and retried
    assert runner.pace.backoff.backoffs == 0  # no failure concerned the sender
