"""The per-state counters always equal COUNT(*) per state, whatever random moves happened."""

from __future__ import annotations

import contextlib
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import distinct, func, select, text, update
from sqlalchemy.orm import Session

from relaybird.campaigns import activity, repository
from relaybird.campaigns.recipients import import_recipients, move_recipient, move_recipients
from relaybird.campaigns.schemas import CampaignCreate, TemplateSpec
from relaybird.campaigns.service import create
from relaybird.campaigns.transitions import RECIPIENT, RecipientEvent, RecipientState
from relaybird.context import AppContext
from relaybird.errors import IllegalTransition
from relaybird.models import Campaign, CampaignCount
from tests.factories import KeyMaker, activity_and_counts, new_sender


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_count_star_after_random_moves(
    ctx: AppContext, keys: KeyMaker, seed: int
) -> None:
    rng = random.Random(seed)
    ws = keys.workspace_id()
    sender = new_sender(ctx)
    now = ctx.clock.now()
    with ctx.db.write() as s:
        cid = create(
            s,
            ws,
            CampaignCreate(
                name="c", sender_id=sender, template=TemplateSpec(name="t", language="en")
            ),
            actor="test",
            at=now,
        ).id
        rows = [
            {
                "workspace_id": ws,
                "campaign_id": cid,
                "row_number": i + 2,
                "phone": f"+1212555{i:04d}" if i % 7 else None,
                "raw_phone": "x",
                "params": [],
                "state": RecipientState.INITIAL if i % 7 else RecipientState.INVALID_RECORD,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(120)
        ]
        import_recipients(s, cid, rows)
    with ctx.db.read() as s:
        ids = repository.recipient_ids_in(s, cid, list(RecipientState), limit=1000)
    events = list(RECIPIENT.events)
    for _ in range(40):
        with ctx.db.write() as s:
            if rng.random() < 0.5:
                # Batch: a random event from a random state over a random sample.
                move = rng.choice([m for m in RECIPIENT.rows if m.source is not None])
                move_recipients(
                    s,
                    rng.sample(ids, 15),
                    source=move.source,  # type: ignore[arg-type]
                    event=move.event,
                    target=move.target,
                    actor="test",
                )
            else:
                for rid in rng.sample(ids, 10):
                    event = rng.choice(events)
                    with contextlib.suppress(IllegalTransition):
                        move_recipient(s, rid, event=event, target=None, actor="test")
    with ctx.db.read() as s:
        counters = {k: v for k, v in repository.counts(s, [cid])[cid].items() if v}
        actual = repository.count_by_state_slow(s, cid)
        activity_counters, activity_counted = activity_and_counts(s, cid)
    assert counters == actual
    assert activity_counters == activity_counted
    assert sum(actual.values()) == 120
    # The run really moved rows out of INITIAL into several states.
    assert len(actual) >= 4


_Step = tuple[RecipientState, RecipientEvent, RecipientState]
CLAIM: _Step = (RecipientState.INITIAL, RecipientEvent.CLAIMED, RecipientState.IN_PROGRESS)
ACCEPT: _Step = (RecipientState.IN_PROGRESS, RecipientEvent.ACCEPTED, RecipientState.SENT)
DELIVER: _Step = (RecipientState.SENT, RecipientEvent.STATUS_DELIVERED, RecipientState.DELIVERED)
REMOVE: _Step = (RecipientState.INITIAL, RecipientEvent.REMOVED, RecipientState.REMOVED)


def _move(s: Session, ids: list[int], step: _Step, actor: str = "t") -> None:
    source, event, target = step
    move_recipients(s, ids, source=source, event=event, target=target, actor=actor)


def _campaign_with_recipients(ctx: AppContext, keys: KeyMaker, n: int) -> tuple[int, list[int]]:
    ws = keys.workspace_id()
    sender = new_sender(ctx)
    now = ctx.clock.now()
    with ctx.db.write() as s:
        spec = TemplateSpec(name="t", language="en")
        cid = create(
            s, ws, CampaignCreate(name="c", sender_id=sender, template=spec), actor="t", at=now
        ).id
        import_recipients(
            s,
            cid,
            [
                {
                    "workspace_id": ws,
                    "campaign_id": cid,
                    "row_number": i + 2,
                    "phone": f"+1212555{i:04d}",
                    "raw_phone": "x",
                    "params": [],
                    "state": RecipientState.INITIAL,
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ],
        )
    with ctx.db.read() as s:
        return cid, repository.recipient_ids_in(s, cid, list(RecipientState), limit=n)


def test_counters_moved_from_many_threads_sum_over_their_stripes(
    ctx: AppContext, keys: KeyMaker
) -> None:
    """Each writing thread adds to its own counter rows (db.stripes): the claim, the record and
    the webhooks of one recipient land in different stripes, some of them negative; the sums
    are still COUNT(*) per state, and the activity counters still their invariant."""
    cid, ids = _campaign_with_recipients(ctx, keys, 60)
    for n, step in enumerate([CLAIM, ACCEPT, DELIVER]):
        with ThreadPoolExecutor(4) as pool:  # four threads, each its own transaction and stripe

            def moved(part: list[int], step: _Step = step) -> None:
                with ctx.db.write() as s:
                    _move(s, part, step)

            list(pool.map(moved, [ids[i : i + 10] for i in range(0, 60 - 10 * n, 10)]))
    with ctx.db.read() as s:
        counters = {k: v for k, v in repository.counts(s, [cid])[cid].items() if v}
        stripes = s.scalar(
            select(func.count(distinct(CampaignCount.stripe))).where(
                CampaignCount.campaign_id == cid
            )
        )
        assert counters == repository.count_by_state_slow(s, cid)
        assert counters == {"DELIVERED": 40, "SENT": 10, "IN_PROGRESS": 10}
        assert stripes is not None and stripes > 1
        assert activity.counters(s, cid) == activity.counted_slow(s, cid)


def test_an_ended_campaign_is_found_waiting_by_the_sum_of_its_stripes(
    ctx: AppContext, keys: KeyMaker
) -> None:
    """``ended_with_waiting`` asks for ENDED campaigns whose INITIAL count is above zero: a
    stripe holding +5 beside one holding -5 is zero, not waiting."""
    cid, ids = _campaign_with_recipients(ctx, keys, 5)  # +5 INITIAL in this thread's stripe
    with ThreadPoolExecutor(1) as pool:

        def remove(part: list[int]) -> None:
            with ctx.db.write() as s:
                _move(s, part, REMOVE)

        pool.submit(remove, ids[:4]).result()
    with ctx.db.write() as s:
        s.execute(update(Campaign).where(Campaign.id == cid).values(state="ENDED"))
    with ctx.db.read() as s:
        assert cid in repository.ended_with_waiting(s)
    pool = ThreadPoolExecutor(1)
    pool.submit(remove, ids[4:]).result()
    pool.shutdown()
    with ctx.db.read() as s:
        assert repository.counts(s, [cid])[cid]["INITIAL"] == 0
        assert cid not in repository.ended_with_waiting(s)


def test_on_postgresql_a_writer_never_waits_for_anothers_counter_rows(
    ctx: AppContext, keys: KeyMaker
) -> None:
    """The contention the stripes remove: a worker's record transaction upserts the campaign's
    SENT counter and is still open (it has more to write); the applier's transaction moves
    recipients of the same campaign SENT → DELIVERED. Before, the applier waited for the
    worker's commit; now it goes through (lock_timeout 2 s would fail it otherwise)."""
    if ctx.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time by design")
    cid, ids = _campaign_with_recipients(ctx, keys, 20)
    with ctx.db.write() as s:
        _move(s, ids, CLAIM)
        _move(s, ids[10:], ACCEPT)
    holding = threading.Event()
    done = threading.Event()

    def worker() -> None:
        with ctx.db.write() as s:
            _move(s, ids[:10], ACCEPT, actor="worker")
            holding.set()
            done.wait(10)

    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(worker)
        assert holding.wait(10)
        try:
            with ctx.db.write() as s:
                s.execute(text("SET LOCAL lock_timeout = '2s'"))
                _move(s, ids[10:], DELIVER, actor="applier")
        finally:
            done.set()
        held.result()
    with ctx.db.read() as s:
        counters = {k: v for k, v in repository.counts(s, [cid])[cid].items() if v}
        assert counters == repository.count_by_state_slow(s, cid) == {"SENT": 10, "DELIVERED": 10}
