"""The per-state counters always equal COUNT(*) per state, whatever random moves happened."""

from __future__ import annotations

import contextlib
import random

import pytest

from relaybird.campaigns import repository
from relaybird.campaigns.recipients import import_recipients, move_recipient, move_recipients
from relaybird.campaigns.schemas import CampaignCreate, TemplateSpec
from relaybird.campaigns.service import create
from relaybird.campaigns.transitions import RECIPIENT, RecipientState
from relaybird.context import AppContext
from relaybird.errors import IllegalTransition
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
