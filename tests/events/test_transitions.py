"""The one transition function, on SQLite and PostgreSQL: compare-and-set, history and outbox in
the same transaction, refusals that change nothing, batches, concurrency."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from relaybird.campaigns.recipients import move_recipient, move_recipients
from relaybird.campaigns.transitions import CAMPAIGN, CampaignState, RecipientState
from relaybird.context import AppContext
from relaybird.errors import IllegalTransition, NotFound
from relaybird.events.transitions import apply_transition, history
from relaybird.models import Campaign, OutboxEvent, Recipient, Transition
from tests.factories import (
    counters_and_counts,
    make_campaign,
    make_recipients,
    make_sender,
    make_workspace,
)


def _campaign(ctx: AppContext, state: str = "NOT_STARTED") -> tuple[int, int]:
    with ctx.db.write() as s:
        ws = make_workspace(s)
        return ws, make_campaign(s, ws, make_sender(s, ws), state=state)


def _count(ctx: AppContext, model: type) -> int:
    with ctx.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_move_writes_state_history_and_event_together(ctx: AppContext) -> None:
    ws, cid = _campaign(ctx)
    with ctx.db.write() as s:
        moved = apply_transition(
            s, CAMPAIGN, Campaign, cid, event="start", actor="key:1", reason="go"
        )
    assert (moved.source, moved.target, moved.changed) == ("NOT_STARTED", "RUNNING", True)
    with ctx.db.read() as s:
        assert s.get(Campaign, cid).state == "RUNNING"  # type: ignore[union-attr]
        rows = history(s, "campaign", cid, ws)
        assert [(h.from_state, h.to_state, h.event, h.actor, h.reason) for h in rows] == [
            ("NOT_STARTED", "RUNNING", "start", "key:1", "go")
        ]
        event = s.scalars(select(OutboxEvent)).one()
        assert event.type == "campaign.state_changed"
        assert event.payload["data"]["from"] == "NOT_STARTED"
        assert event.payload["data"]["to"] == "RUNNING"


def test_illegal_move_is_refused_and_changes_nothing(ctx: AppContext) -> None:
    _ws, cid = _campaign(ctx, state="COMPLETED")
    with pytest.raises(IllegalTransition), ctx.db.write() as s:
        apply_transition(s, CAMPAIGN, Campaign, cid, event="start", actor="t")
    with ctx.db.read() as s:
        assert s.get(Campaign, cid).state == "COMPLETED"  # type: ignore[union-attr]
    assert _count(ctx, Transition) == 0
    assert _count(ctx, OutboxEvent) == 0


def test_rollback_takes_history_and_event_with_it(ctx: AppContext) -> None:
    _ws, cid = _campaign(ctx)
    with pytest.raises(RuntimeError), ctx.db.write() as s:
        apply_transition(s, CAMPAIGN, Campaign, cid, event="start", actor="t")
        raise RuntimeError("crash before commit")
    assert _count(ctx, Transition) == 0
    assert _count(ctx, OutboxEvent) == 0
    with ctx.db.read() as s:
        assert s.get(Campaign, cid).state == "NOT_STARTED"  # type: ignore[union-attr]


def test_other_workspace_sees_not_found(ctx: AppContext) -> None:
    _ws, cid = _campaign(ctx)
    with ctx.db.write() as s:
        other = make_workspace(s, "other")
    with pytest.raises(NotFound), ctx.db.write() as s:
        apply_transition(s, CAMPAIGN, Campaign, cid, event="start", actor="t", workspace_id=other)


def test_duplicate_idempotent_event_is_a_no_op(ctx: AppContext) -> None:
    ws, cid = _campaign(ctx, state="RUNNING")
    with ctx.db.write() as s:
        (rid,) = make_recipients(s, ws, cid, 1, state="SENT")
    with ctx.db.write() as s:
        first = move_recipient(
            s, rid, event="status_delivered", target=RecipientState.DELIVERED, actor="wh"
        )
        again = move_recipient(
            s, rid, event="status_delivered", target=RecipientState.DELIVERED, actor="wh"
        )
    assert first.changed and not again.changed
    assert _count(ctx, Transition) == 1
    # A late `delivered` never overwrites READ.
    with ctx.db.write() as s:
        move_recipient(s, rid, event="status_read", target=RecipientState.READ, actor="wh")
    with pytest.raises(IllegalTransition), ctx.db.write() as s:
        move_recipient(
            s, rid, event="status_delivered", target=RecipientState.DELIVERED, actor="wh"
        )
    with ctx.db.read() as s:
        assert s.get(Recipient, rid).state == "READ"  # type: ignore[union-attr]


def test_batch_moves_only_rows_still_in_the_source_state_and_counts_follow(ctx: AppContext) -> None:
    ws, cid = _campaign(ctx, state="RUNNING")
    with ctx.db.write() as s:
        ids = make_recipients(s, ws, cid, 5)
        move_recipient(s, ids[0], event="removed", actor="admin")
    with ctx.db.write() as s:
        moved = move_recipients(
            s,
            ids,
            source=RecipientState.INITIAL,
            event="claimed",
            target=RecipientState.IN_PROGRESS,
            actor="dispatcher",
        )
    assert sorted(m.id for m in moved) == sorted(ids[1:])
    with ctx.db.read() as s:
        counters, counted = counters_and_counts(s)
    assert counters == counted == {"REMOVED": 1, "IN_PROGRESS": 4}
    assert _count(ctx, Transition) == 5
    assert _count(ctx, OutboxEvent) == 5


def test_batch_refuses_a_move_not_in_the_table(ctx: AppContext) -> None:
    ws, cid = _campaign(ctx, state="RUNNING")
    with ctx.db.write() as s:
        ids = make_recipients(s, ws, cid, 2, state="READ")
    with pytest.raises(IllegalTransition), ctx.db.write() as s:
        move_recipients(
            s,
            ids,
            source=RecipientState.READ,
            event="status_delivered",
            target=RecipientState.DELIVERED,
            actor="wh",
        )


def test_concurrent_writers_never_break_the_table(ctx: AppContext) -> None:
    """Threads race to start/pause/resume/end one campaign; the history must be one valid chain."""
    ws, cid = _campaign(ctx)
    events = ["start", "pause", "resume", "end", "pause", "resume", "start"] * 3
    errors: list[BaseException] = []

    def worker(event: str) -> None:
        try:
            with ctx.db.write() as s:
                apply_transition(s, CAMPAIGN, Campaign, cid, event=event, actor=f"t:{event}")
        except IllegalTransition:
            pass
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with ctx.db.read() as s:
        chain = history(s, "campaign", cid, ws)
        final = s.get(Campaign, cid).state  # type: ignore[union-attr]
    state: str | None = CampaignState.NOT_STARTED
    for h in chain:
        assert h.from_state == state, [(x.from_state, x.to_state) for x in chain]
        assert CAMPAIGN.can(CampaignState(h.from_state), h.event, CampaignState(h.to_state))
        state = h.to_state
    assert final == state
