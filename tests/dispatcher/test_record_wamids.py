"""Recording a batch of accepted sends writes each recipient's own wamid in the same UPDATE
that moves it to SENT, on both databases; a row a webhook moved first keeps its wamid too."""

from __future__ import annotations

from sqlalchemy import select, update

from relaybird.campaigns.transitions import RecipientEvent, RecipientState
from relaybird.context import AppContext
from relaybird.dispatcher import record
from relaybird.dispatcher.outcomes import Decision
from relaybird.models import Recipient
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace


def test_each_accepted_recipient_gets_its_own_wamid(ctx: AppContext) -> None:
    with ctx.db.write() as s:
        ws = make_workspace(s)
        cid = make_campaign(s, ws, make_sender(s, ws))
        ids = make_recipients(s, ws, cid, 37, state="IN_PROGRESS")
        # A status webhook won the race for the last one: it is DELIVERED already.
        s.execute(update(Recipient).where(Recipient.id == ids[-1]).values(state="DELIVERED"))
    wamids = {rid: f'wamid.HBgL{rid:08d}{"x" * (rid % 7)}"é' for rid in ids}
    decisions = [Decision(rid, RecipientEvent.ACCEPTED, wamid=wamids[rid]) for rid in ids]
    with ctx.db.write() as s:
        record.write(s, decisions, now=ctx.clock.now())
    with ctx.db.read() as s:
        rows = {r.id: r for r in s.scalars(select(Recipient).where(Recipient.campaign_id == cid))}
    assert {rid: rows[rid].wamid for rid in ids} == wamids
    assert {rows[rid].state for rid in ids[:-1]} == {RecipientState.SENT.value}
    assert rows[ids[-1]].state == RecipientState.DELIVERED.value
