"""Crash safety without a crash: leases that ran out are reconciled by the delivery policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from relaybird.campaigns.jobs import start_scheduled
from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import RecipientState
from relaybird.config import DeliveryPolicy
from relaybird.context import AppContext
from relaybird.dispatcher.claim import claim
from relaybird.dispatcher.jobs import reconcile_leases
from relaybird.dispatcher.reconcile import reconcile_expired
from relaybird.models import Recipient
from relaybird.providers.whatsapp import wire
from tests.dispatcher.harness import campaign, campaign_with, counters_match, phones, recipients
from tests.factories import new_sender
from tests.senders.webhooks import post


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
            # Sends that had started (the dispatcher marks them so just before the calls).
            values={
                "lease_expires_at": now + lease,
                "attempts": Recipient.attempts + 1,
                "send_started_at": now,
            },
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


def test_the_providers_late_word_wins_over_outcome_unknown(
    ctx: AppContext, client: TestClient
) -> None:
    """Issue 12 item 16: statuses that arrive after we gave the outcome up (ERROR "outcome
    unknown") move the recipient, for every outcome, through the real webhook endpoint; the
    stale error title goes."""
    # The number the statuses below are reported for (a status of another number moves nothing).
    cid = campaign_with(ctx, new_sender(ctx, phone_number_id="pn"), phones(4))
    ids = _claim_all(ctx, cid, timedelta(seconds=10))
    ctx.clock.advance(timedelta(seconds=11))  # type: ignore[attr-defined]
    assert reconcile_leases(ctx) == 4
    assert {r.state for r in recipients(ctx, cid)} == {"ERROR"}

    t = int(ctx.clock.now().timestamp())
    statuses = [
        wire.status_object(
            "wamid.A",
            "failed",
            "12125550000",
            t,
            callback_data=f"r:{ids[0]}",
            error=(131026, "Message undeliverable"),
        ),
        wire.status_object(
            "wamid.B",
            "failed",
            "12125550001",
            t,
            callback_data=f"r:{ids[1]}",
            error=(131049, "not delivered to maintain healthy ecosystem engagement"),
        ),
        wire.status_object("wamid.C", "delivered", "12125550002", t, callback_data=f"r:{ids[2]}"),
        wire.status_object("wamid.D", "sent", "12125550003", t, callback_data=f"r:{ids[3]}"),
    ]
    post(
        client,
        ctx,
        wire.envelope("waba-x", "messages", wire.messages_value("pn", "1555", statuses=statuses)),
    )
    rows = recipients(ctx, cid)
    assert [(r.state, r.error_code) for r in rows] == [
        ("SENDING_FAILED", 131026),
        ("DELIVERY_FAILED", 131049),
        ("DELIVERED", None),
        ("SENT", None),
    ]
    assert rows[0].error_title == "Message undeliverable"
    assert not any("outcome unknown" in (r.error_title or "") for r in rows)
    assert counters_match(ctx, cid)


def test_after_a_crash_only_started_sends_are_outcome_unknown(ctx: AppContext) -> None:
    """Issue 12 item 15 at the seam: of what a dead dispatcher had claimed, the sends it had
    started are "outcome unknown"; the rest go back untouched (INITIAL, or RETRY_SCHEDULED for
    a retry), their attempt not counted."""
    from relaybird.dispatcher import repository as dispatch_repo

    cid = campaign_with(ctx, new_sender(ctx), phones(6))
    ids = [r.id for r in recipients(ctx, cid)]
    with ctx.db.write() as s:  # the last one is a retry: it had one attempt already
        for source, event, target, values in (
            (RecipientState.INITIAL, "claimed", RecipientState.IN_PROGRESS, {"attempts": 1}),
            (
                RecipientState.IN_PROGRESS,
                "transient_error",
                RecipientState.RETRY_SCHEDULED,
                {"next_attempt_at": ctx.clock.now()},
            ),
        ):
            move_recipients(
                s, ids[5:], source=source, event=event, target=target, actor="test", values=values
            )
    now = ctx.clock.now()
    with ctx.db.write() as s:
        claim(s, new_sender_id(ctx, cid), clock=lambda: now, limit=10, lease=timedelta(seconds=9))
        dispatch_repo.mark_started(s, ids[:2], now)  # two sends started, then the crash
    ctx.clock.advance(timedelta(seconds=10))  # type: ignore[attr-defined]
    assert reconcile_leases(ctx) == 6
    rows = recipients(ctx, cid)
    assert [(r.state, r.attempts) for r in rows] == [
        ("ERROR", 1),
        ("ERROR", 1),
        ("INITIAL", 0),
        ("INITIAL", 0),
        ("INITIAL", 0),
        ("RETRY_SCHEDULED", 1),
    ]
    assert all("outcome unknown" in (r.error_title or "") for r in rows[:2])
    assert rows[5].next_attempt_at is not None
    assert counters_match(ctx, cid)


def new_sender_id(ctx: AppContext, cid: int) -> int:
    return campaign(ctx, cid).sender_id


def test_a_claim_taken_back_before_it_started_is_not_started(ctx: AppContext) -> None:
    """A stalled dispatcher's claim outlives its lease before the send starts: crash recovery
    puts it back (INITIAL, for another claim). The stalled one must not send it then: marking
    it started gives it back instead (else the recipient would get the message twice)."""
    from relaybird.dispatcher.repository import mark_started

    cid = campaign_with(ctx, new_sender(ctx), phones(2))
    with ctx.db.write() as s:
        got = claim(
            s,
            campaign(ctx, cid).sender_id,
            clock=ctx.clock.now,
            limit=10,
            lease=timedelta(seconds=3),
        )
    ids = [i.id for i in got.items]
    assert len(ids) == 2
    ctx.clock.advance(timedelta(seconds=4))  # type: ignore[attr-defined]
    with ctx.db.write() as s:
        assert reconcile_expired(s, now=ctx.clock.now(), policy=DeliveryPolicy.AT_MOST_ONCE) == 2
    with ctx.db.write() as s:
        assert mark_started(s, ids, ctx.clock.now()) == set(ids)
    rows = recipients(ctx, cid)
    assert [(r.state, r.send_started_at) for r in rows] == [("INITIAL", None)] * 2
