"""The applier: stored bodies → recipients' states, idempotent, bounded retries, isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from relaybird.campaigns.statuses import callback_data
from relaybird.context import AppContext
from relaybird.inbox import applier, repository
from relaybird.inbox import service as inbox
from relaybird.inbox.handlers import Registry
from relaybird.kit.time import ManualClock
from relaybird.models import CampaignCount, InboxEvent, Recipient, Transition
from relaybird.providers.whatsapp.events import MessageStatus
from relaybird.wiring import registered_handlers
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace
from tests.inbox.helpers import inbox_rows, status, statuses_body


def store(ctx: AppContext, body: bytes) -> None:
    import hashlib

    with ctx.db.write() as session:
        repository.insert_ignore(
            session,
            [inbox.new_event("whatsapp", body, hashlib.sha256(body).hexdigest(), ctx.clock.now())],
        )


def campaign_with(ctx: AppContext, n: int, state: str = "SENT") -> tuple[int, list[int]]:
    """A campaign with ``n`` recipients in ``state``, recipient i has wamid ``wamid.i``."""
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, phone_number_id="pn-1")  # the statuses' number
        campaign = make_campaign(session, ws, sender, state="RUNNING")
        ids = make_recipients(session, ws, campaign, n, state=state)
        if state != "IN_PROGRESS":
            for rid in ids:
                session.execute(
                    update(Recipient).where(Recipient.id == rid).values(wamid=f"wamid.{rid}")
                )
    return campaign, ids


def states(ctx: AppContext, ids: list[int]) -> list[str]:
    with ctx.db.read() as session:
        got = dict(
            session.execute(
                select(Recipient.id, Recipient.state).where(Recipient.id.in_(ids))
            ).all()
        )
    return [got[i] for i in ids]


def counts(ctx: AppContext, campaign: int) -> dict[str, int]:
    with ctx.db.read() as session:
        rows = session.execute(
            select(CampaignCount.state, func.sum(CampaignCount.count))
            .where(CampaignCount.campaign_id == campaign)
            .group_by(CampaignCount.state)
        ).all()
    return {s: c for s, c in rows if c}


def drain(ctx: AppContext) -> applier.StepResult:
    total = applier.StepResult()
    while (step := applier.apply_batch(ctx, registered_handlers())).rows:
        total.rows += step.rows
        total.events += step.events
        total.retried += step.retried
        total.failed += step.failed
        total.unknown += step.unknown
        if step.retried or step.failed:
            break
    return total


def test_statuses_move_recipients_up_and_counters_follow(ctx: AppContext) -> None:
    campaign, ids = campaign_with(ctx, 3)
    a, b, c = ids
    store(
        ctx,
        statuses_body(
            [
                status(f"wamid.{a}", "delivered"),
                status(f"wamid.{b}", "delivered"),
                status(f"wamid.{b}", "read"),
                status(f"wamid.{c}", "failed", code=131049),
            ]
        ),
    )
    drain(ctx)
    assert states(ctx, ids) == ["DELIVERED", "READ", "DELIVERY_FAILED"]
    assert counts(ctx, campaign) == {"DELIVERED": 1, "READ": 1, "DELIVERY_FAILED": 1}
    with ctx.db.read() as session:
        rc = session.get(Recipient, c)
        assert rc is not None and (rc.error_code, rc.error_title) == (131049, "error 131049")
        moves = session.execute(
            select(Transition.from_state, Transition.to_state, Transition.event)
            .where(Transition.entity == "recipient", Transition.entity_id == b)
            .order_by(Transition.id)
        ).all()
    # Both steps are in the history, in order, though they came in one body.
    assert [tuple(m) for m in moves] == [
        ("SENT", "DELIVERED", "status_delivered"),
        ("DELIVERED", "READ", "status_read"),
    ]
    assert [r.status for r in inbox_rows(ctx)] == ["APPLIED"]


def test_stale_duplicate_and_reordered_statuses_never_move_backwards(ctx: AppContext) -> None:
    campaign, [rid] = campaign_with(ctx, 1)
    for body in (
        statuses_body([status(f"wamid.{rid}", "read")]),
        statuses_body([status(f"wamid.{rid}", "delivered")]),  # late
        statuses_body([status(f"wamid.{rid}", "sent", ts=2)]),  # later still
        statuses_body([status(f"wamid.{rid}", "read", ts=3)]),  # duplicate
    ):
        store(ctx, body)
        assert (
            applier.apply_batch(ctx, registered_handlers()).applied == 1
        )  # one at a time, in arrival order
    assert states(ctx, [rid]) == ["READ"]
    assert counts(ctx, campaign) == {"READ": 1}
    with ctx.db.read() as session:
        n = len(
            session.scalars(
                select(Transition).where(
                    Transition.entity_id == rid, Transition.entity == "recipient"
                )
            ).all()
        )
    assert n == 1


def test_not_on_whatsapp_is_sending_failed(ctx: AppContext) -> None:
    campaign, [rid] = campaign_with(ctx, 1)
    store(ctx, statuses_body([status(f"wamid.{rid}", "failed", code=131026)]))
    drain(ctx)
    assert states(ctx, [rid]) == ["SENDING_FAILED"]
    assert counts(ctx, campaign) == {"SENDING_FAILED": 1}


def test_a_status_before_the_send_returned_matches_by_callback_data(ctx: AppContext) -> None:
    campaign, [rid] = campaign_with(ctx, 1, state="IN_PROGRESS")
    store(ctx, statuses_body([status("wamid.EARLY", "sent", callback=callback_data(rid))]))
    drain(ctx)
    assert states(ctx, [rid]) == ["SENT"]
    with ctx.db.read() as session:
        assert session.scalar(select(Recipient.wamid).where(Recipient.id == rid)) == "wamid.EARLY"
    assert counts(ctx, campaign) == {"SENT": 1}


def test_a_status_for_an_unknown_message_is_retried_until_it_is_known(
    ctx: AppContext, clock: ManualClock
) -> None:
    _, [rid] = campaign_with(ctx, 1, state="IN_PROGRESS")
    store(ctx, statuses_body([status("wamid.LATER", "delivered")]))
    step = applier.apply_batch(ctx, registered_handlers())
    assert (step.rows, step.retried) == (1, 1)
    [row] = inbox_rows(ctx)
    assert (row.status, row.attempts) == ("RETRY", 1)
    assert applier.apply_batch(ctx, registered_handlers()).rows == 0  # not due yet
    # The send call returns and records the wamid (what the dispatcher does).
    with ctx.db.write() as session:
        session.execute(
            update(Recipient).where(Recipient.id == rid).values(wamid="wamid.LATER", state="SENT")
        )
    clock.advance(applier.retry_delay(1))
    assert applier.apply_batch(ctx, registered_handlers()).applied == 1
    assert states(ctx, [rid]) == ["DELIVERED"]


def test_retries_are_bounded_and_the_body_is_kept(ctx: AppContext, clock: ManualClock) -> None:
    store(ctx, statuses_body([status("wamid.NEVER", "delivered")]))
    for attempt in range(1, applier.MAX_ATTEMPTS + 1):
        step = applier.apply_batch(ctx, registered_handlers())
        assert step.rows == 1
        clock.advance(applier.retry_delay(attempt))
    [row] = inbox_rows(ctx)
    assert (row.status, row.attempts) == ("FAILED", applier.MAX_ATTEMPTS)
    assert row.last_error is not None
    assert applier.apply_batch(ctx, registered_handlers()).rows == 0


def test_room_message_statuses_are_not_claimed_by_recipients(ctx: AppContext) -> None:
    _, [rid] = campaign_with(ctx, 1)
    seen: list[MessageStatus] = []
    registry = registered_handlers()
    registry.on(MessageStatus, lambda _s, events, _c: seen.extend(events) or None)
    store(ctx, statuses_body([status("wamid.ROOM", "delivered", callback="m:5")]))
    step = applier.apply_batch(ctx, registry)
    assert step.applied == 1  # the room handler matched it: no retry
    assert [e.callback_data for e in seen] == ["m:5"]
    assert states(ctx, [rid]) == ["SENT"]


def test_a_failing_handler_rolls_back_only_its_row(ctx: AppContext) -> None:
    _, [good, bad] = campaign_with(ctx, 2)

    def explode(_session: Any, events: list[MessageStatus], _ctx: Any) -> None:
        if any(e.wamid == f"wamid.{bad}" for e in events):
            raise RuntimeError("boom")

    registry = registered_handlers()
    registry.handlers[MessageStatus].insert(0, explode)
    store(ctx, statuses_body([status(f"wamid.{good}", "delivered")]))
    store(ctx, statuses_body([status(f"wamid.{bad}", "delivered")]))
    step = applier.apply_batch(ctx, registry)
    assert (step.applied, step.retried) == (1, 1)
    assert states(ctx, [good, bad]) == ["DELIVERED", "SENT"]
    rows = {r.body.count(f"wamid.{bad}".encode()): r for r in inbox_rows(ctx)}
    assert rows[1].status == "RETRY" and "boom" in (rows[1].last_error or "")


def test_unknown_kinds_are_kept_logged_and_do_not_block(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "w",
                "changes": [
                    {"field": "some_future_field", "value": {"x": 1}},
                    {"field": "messages", "value": {"statuses": [{"no_id": True}]}},
                ],
            }
        ],
    }
    store(ctx, json.dumps(body).encode())
    step = applier.apply_batch(ctx, registered_handlers())
    assert (step.applied, step.unknown) == (1, 2)
    assert "some_future_field" in caplog.text
    [row] = inbox_rows(ctx)
    assert row.status == "APPLIED" and b"some_future_field" in row.body


def test_one_body_of_a_thousand_statuses_is_applied_in_full(ctx: AppContext) -> None:
    campaign, ids = campaign_with(ctx, 1000)
    store(ctx, statuses_body([status(f"wamid.{rid}", "delivered") for rid in ids]))
    assert drain(ctx).events == 1000
    assert counts(ctx, campaign) == {"DELIVERED": 1000}


def test_replay_reapplies_without_changing_anything(ctx: AppContext) -> None:
    campaign, ids = campaign_with(ctx, 5)
    store(ctx, statuses_body([status(f"wamid.{rid}", "read") for rid in ids]))
    drain(ctx)
    before = counts(ctx, campaign)
    assert inbox.replay(ctx, since=ctx.clock.now() - timedelta(hours=1)) == 1
    assert drain(ctx).rows == 1
    assert counts(ctx, campaign) == before == {"READ": 5}
    with ctx.db.read() as session:
        assert (
            len(session.scalars(select(Transition).where(Transition.entity == "recipient")).all())
            == 5
        )


def test_prune_deletes_only_old_applied_bodies(ctx: AppContext, clock: ManualClock) -> None:
    store(ctx, statuses_body([status("wamid.OLD", "read")]))
    drain(ctx)  # unknown wamid: RETRY, not APPLIED
    with ctx.db.write() as session:
        session.execute(update(InboxEvent).values(status="APPLIED"))
    store(ctx, statuses_body([status("wamid.NEW", "read")]))
    clock.advance(ctx.settings.inbox_retention + timedelta(minutes=1))
    store(ctx, statuses_body([status("wamid.NEWER", "read")]))
    assert inbox.prune(ctx) == 1
    remaining = [r.body for r in inbox_rows(ctx)]
    assert len(remaining) == 2 and not any(b"wamid.OLD" in b for b in remaining)


def test_empty_registry_applies_everything(ctx: AppContext) -> None:
    store(ctx, statuses_body([status("wamid.X", "read")]))
    assert applier.apply_batch(ctx, Registry()).applied == 1


def test_a_step_stops_at_max_events_and_the_rest_follows(ctx: AppContext) -> None:
    """Bodies are taken whole until a step holds ``max_events`` events; the step says more is
    due, the next ones apply the rest, and every move is counted exactly once."""
    campaign, ids = campaign_with(ctx, 30)
    for lo in range(0, 30, 3):  # ten bodies of three statuses
        store(ctx, statuses_body([status(f"wamid.{r}", "delivered") for r in ids[lo : lo + 3]]))
    first = applier.apply_batch(ctx, registered_handlers(), max_events=7)
    assert (first.rows, first.events, first.more) == (3, 9, True)  # whole bodies: 3 + 3 + 3
    steps = [first]
    while (step := applier.apply_batch(ctx, registered_handlers(), max_events=7)).rows:
        steps.append(step)
    assert sum(s.events for s in steps) == 30 and not steps[-1].more
    assert states(ctx, ids) == ["DELIVERED"] * 30
    assert counts(ctx, campaign) == {"DELIVERED": 30}
    with ctx.db.read() as session:
        history = session.scalars(
            select(Transition.entity_id).where(Transition.to_state == "DELIVERED")
        ).all()
    assert sorted(history) == sorted(ids)


def test_one_huge_body_is_still_applied_in_one_step(ctx: AppContext) -> None:
    """A body over ``max_events`` is never split nor starved: a step takes at least one body."""
    campaign, ids = campaign_with(ctx, 20)
    store(ctx, statuses_body([status(f"wamid.{r}", "read") for r in ids]))
    step = applier.apply_batch(ctx, registered_handlers(), max_events=5)
    assert (step.rows, step.events, step.applied) == (1, 20, 1)
    assert counts(ctx, campaign) == {"READ": 20}


def test_due_rows_are_taken_oldest_first_across_fresh_and_retried(
    ctx: AppContext, clock: ManualClock
) -> None:
    """Due candidates come from one query per kind (fresh, retried) but are merged by id; a
    retried row not due yet waits, and ``limit`` counts over all of them."""
    for i in range(6):
        store(ctx, statuses_body([status(f"wamid.x{i}", "delivered")]))
    now = clock.now()
    with ctx.db.write() as session:
        got = [r.id for r in repository.due_candidates(session, now, 100)]
        repository.mark_retry(session, got[1], attempts=1, next_at=now, error="e")
        repository.mark_retry(
            session, got[2], attempts=1, next_at=now + timedelta(hours=1), error="e"
        )
        repository.mark_applied(session, [got[3]], now)
    with ctx.db.read() as session:
        assert [r.id for r in repository.due_candidates(session, now, 100)] == [
            got[0],
            got[1],
            got[4],
            got[5],
        ]
        assert [r.id for r in repository.due_candidates(session, now, 2)] == got[:2]


def test_batch_moves_look_rows_up_by_id_not_by_state(sqlite_ctx: AppContext) -> None:
    """The batch UPDATE of a status wave must find its rows by primary key: an index led by the
    state column (every SENT recipient) would make each wave cost the whole table."""
    from sqlalchemy import update as sa_update

    from relaybird.events.transitions import unindexed

    stmt = (
        sa_update(Recipient)
        .where(Recipient.id.in_([1, 2, 3]), unindexed(Recipient.state) == "SENT")
        .values(state="DELIVERED")
    )
    with sqlite_ctx.db.read() as session:
        connection = session.connection()
        sql = str(
            stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        ).replace("__[POSTCOMPILE_id_1]", "1, 2, 3")
        plan = " ".join(str(r[-1]) for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "PRIMARY KEY" in plan and "ix_recipients" not in plan, plan
