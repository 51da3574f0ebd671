"""The messaging limit: never one new unique recipient over it; RESTRICTED; campaign waits."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from relaybird.context import AppContext
from relaybird.models import Sender, SenderContact
from relaybird.senders.jobs import release_restricted
from tests.dispatcher.harness import (
    campaign_with,
    phones,
    recipients,
    run_until,
    sim_sender,
    states,
)
from tests.factories import KeyMaker
from tests.fixtures.simulator import SimHandle


def _sender(ctx: AppContext, sender_id: int) -> Sender:
    with ctx.db.read() as s:
        sender = s.get(Sender, sender_id)
        assert sender is not None
        return sender


def test_limit_never_exceeded_sender_restricted_campaign_waits(
    ctx: AppContext, simulator: SimHandle, client: TestClient, keys: KeyMaker
) -> None:
    sender = sim_sender(ctx, simulator, messaging_limit="TIER_50")
    # Two campaigns on one sender, overlapping phones: overlap costs no extra room.
    first = campaign_with(ctx, sender, phones(40))
    second = campaign_with(ctx, sender, phones(40, start=20))  # 20 shared, 20 new
    # One run (stopping the loop would release what it had claimed, and released recipients
    # keep their room counted: the accounting errs on the safe side).
    run_until(
        ctx,
        lambda: (
            _sender(ctx, sender).status == "RESTRICTED"
            and not states(ctx, first).get("IN_PROGRESS")
            and not states(ctx, second).get("IN_PROGRESS")
        ),
    )
    sent = simulator.sent()
    assert len({s["to"] for s in sent}) == 50  # exactly the limit, never one more
    sent_states = states(ctx, first).get("SENT", 0) + states(ctx, second).get("SENT", 0)
    assert sent_states == len(sent)
    waiting = [r for cid in (first, second) for r in recipients(ctx, cid) if r.state == "INITIAL"]
    assert waiting and all(r.attempts == 0 for r in waiting)
    # Phones already counted in the window were free: the shared ones went out twice at most
    # as one unique recipient each.
    with ctx.db.read() as s:
        counted = s.scalar(
            select(func.count()).select_from(SenderContact).where(SenderContact.sender_id == sender)
        )
    assert counted == 50
    restricted = _sender(ctx, sender)
    assert restricted.status_before == "CONNECTED"
    assert restricted.restricted_until == ctx.clock.now() + timedelta(hours=24)
    body = client.get(f"/api/v1/campaigns/{second}", headers=keys.headers()).json()
    assert body["state"] == "RUNNING"
    assert "RESTRICTED" in body["waiting_reason"]

    # Not yet: the window is still full.
    assert release_restricted(ctx) == 0
    ctx.clock.advance(timedelta(hours=24, seconds=1))  # type: ignore[attr-defined]
    assert release_restricted(ctx) == 1
    assert _sender(ctx, sender).status == "CONNECTED"
    run_until(
        ctx,
        lambda: (
            not states(ctx, first).get("INITIAL")
            and not states(ctx, second).get("INITIAL")
            and not states(ctx, first).get("IN_PROGRESS")
            and not states(ctx, second).get("IN_PROGRESS")
        ),
    )
    assert len({s["to"] for s in simulator.sent()}) == 60


def test_a_restricted_sender_still_sends_to_recipients_the_window_counts(
    ctx: AppContext, simulator: SimHandle
) -> None:
    """Issue 12 item 6: Meta counts unique recipients, so a number at its limit may still send
    templates to recipients already counted in the moving 24 h (they cost nothing)."""
    from relaybird.senders import service as senders

    sender = sim_sender(ctx, simulator, messaging_limit="TIER_50")
    counted = phones(50)
    with ctx.db.write() as s:
        senders.count_business_initiated(s, sender, counted, actor="test", now=ctx.clock.now())
    assert _sender(ctx, sender).status == "RESTRICTED"
    assert _sender(ctx, sender).restricted_by == "LIMIT"

    again, new = counted[10:20], phones(10, start=100)
    campaign = campaign_with(ctx, sender, [*new, *again])  # the new ones first in line
    run_until(ctx, lambda: states(ctx, campaign).get("SENT", 0) == len(again), timeout=30)
    assert {m["to"] for m in simulator.requests()} == {p.lstrip("+") for p in again}
    waiting = [r for r in recipients(ctx, campaign) if r.state == "INITIAL"]
    assert sorted(r.phone for r in waiting) == new and all(r.attempts == 0 for r in waiting)
    assert _sender(ctx, sender).status == "RESTRICTED"
