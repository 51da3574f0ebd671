"""Crash safety without a crash: leases that ran out are reconciled by the delivery policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import RecipientState
from relaybird.config import DeliveryPolicy
from relaybird.context import AppContext
from relaybird.dispatcher.reconcile import reconcile_expired
from relaybird.models import Recipient
from relaybird.scheduler.campaign_jobs import reconcile_leases, start_scheduled
from tests.dispatcher.harness import campaign, campaign_with, counters_match, phones, recipients
from tests.factories import new_sender


def _claim_all(ctx: AppContext, cid: int, lease: timedelta) -> list[int]:
    ids = [r.id for r in recipients(ctx, cid)]
    now = ctx.clock.now()
    with ctx.db.write() as s:
        move_recipients(
            s,
            ids,
            source=RecipientState.INITIAL,
            event="claimed",
            target=RecipientState.IN_PROGRESS,
            actor="test",
            values={"lease_expires_at": now + lease, "attempts": Recipient.attempts + 1},
        )
    return ids


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(DeliveryPolicy.AT_MOST_ONCE, "ERROR"), (DeliveryPolicy.AT_LEAST_ONCE, "RETRY_SCHEDULED")],
)
def test_expired_leases_follow_the_policy(
    ctx: AppContext, policy: DeliveryPolicy, expected: str
) -> None:
    ctx.settings = ctx.settings.model_copy(update={"delivery_policy": policy})
    cid = campaign_with(ctx, new_sender(ctx), phones(3))
    ids = _claim_all(ctx, cid, timedelta(seconds=60))
    # A status webhook arrived for the first one before the crash: it is the truth.
    with ctx.db.write() as s:
        move_recipients(
            s,
            ids[:1],
            source=RecipientState.IN_PROGRESS,
            event="status_delivered",
            target=RecipientState.DELIVERED,
            actor="webhook",
        )
    assert reconcile_leases(ctx) == 0  # leases still valid: a live dispatcher owns them
    ctx.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    assert reconcile_leases(ctx) == 2
    rows = recipients(ctx, cid)
    assert [r.state for r in rows] == ["DELIVERED", expected, expected]
    if expected == "ERROR":
        assert "outcome unknown" in (rows[1].error_title or "")
    assert counters_match(ctx, cid)


def test_reconcile_is_a_compare_and_set_on_the_lease(ctx: AppContext) -> None:
    cid = campaign_with(ctx, new_sender(ctx), phones(2))
    _claim_all(ctx, cid, timedelta(seconds=10))
    ctx.clock.advance(timedelta(seconds=11))  # type: ignore[attr-defined]
    with ctx.db.write() as s:
        # A live dispatcher renewed one lease meanwhile.
        s.query(Recipient).filter(Recipient.row_number == 2).update(
            {"lease_expires_at": ctx.clock.now() + timedelta(seconds=30)}
        )
    with ctx.db.write() as s:
        assert reconcile_expired(s, now=ctx.clock.now(), policy=DeliveryPolicy.AT_MOST_ONCE) == 1
    assert [r.state for r in recipients(ctx, cid)] == ["IN_PROGRESS", "ERROR"]


def test_scheduled_start(ctx: AppContext) -> None:
    cid = campaign_with(ctx, new_sender(ctx), phones(1), started=False)
    with ctx.db.write() as s:
        s.query(__import__("relaybird.models", fromlist=["Campaign"]).Campaign).filter_by(
            id=cid
        ).update({"start_at": ctx.clock.now() + timedelta(minutes=5)})
    assert start_scheduled(ctx) == 0
    ctx.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    assert start_scheduled(ctx) == 1
    assert campaign(ctx, cid).state == "RUNNING"
    assert start_scheduled(ctx) == 0
