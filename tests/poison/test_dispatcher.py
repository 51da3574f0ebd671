"""Issue 11 item 3, the dispatcher: a recipient whose stored row cannot become a send (its
parameters are not a list) goes to ERROR with the reason; the recipients behind it are sent
(the real dispatcher loop against the simulator). Before, every claim of the sender failed on
it and the runner was restarted every poll, sending nothing."""

from __future__ import annotations

from sqlalchemy import update

from relaybird.context import AppContext
from relaybird.models import Recipient
from tests.dispatcher.harness import (
    campaign,
    campaign_with,
    counters_match,
    phones,
    recipients,
    run_until,
    sim_sender,
)
from tests.fixtures.simulator import SimHandle


def test_an_unsendable_recipient_is_set_aside_and_the_others_are_sent(
    ctx: AppContext, simulator: SimHandle
) -> None:
    sender = sim_sender(ctx, simulator)
    cid = campaign_with(ctx, sender, phones(5))
    first = recipients(ctx, cid)[0]
    with ctx.db.write() as session:
        session.execute(update(Recipient).where(Recipient.id == first.id).values(params=5))

    run_until(ctx, lambda: campaign(ctx, cid).state == "COMPLETED", timeout=60)
    rows = {r.id: r for r in recipients(ctx, cid)}
    bad = rows.pop(first.id)
    assert bad.state == "ERROR" and bad.error_title and "TypeError" in bad.error_title
    assert {r.state for r in rows.values()} == {"SENT"}
    assert len(simulator.sent()) == 4
    assert counters_match(ctx, cid)
