"""Issue 11 item 3, the consent.replies loop: a queued confirmation that cannot be sent (a
stored phone that is no phone) is FAILED with its reason at once; the confirmation behind it
is sent (real simulator), and the loop does not try the bad one again."""

from __future__ import annotations

import asyncio

from relaybird.consent import replies, repository
from relaybird.context import AppContext
from relaybird.models import ConsentReply, Sender
from tests.dispatcher.harness import sim_sender
from tests.fixtures.simulator import SimHandle


def _pass(ctx: AppContext) -> int:
    """One pass of the loop's step, its HTTP session closed on the event loop that made it."""

    async def once() -> int:
        try:
            return await replies.send_due(ctx)
        finally:
            await ctx.provider.close()

    return asyncio.run(once())


def test_an_unsendable_confirmation_is_failed_and_the_next_one_is_sent(
    ctx: AppContext, simulator: SimHandle
) -> None:
    sender_id = sim_sender(ctx, simulator)
    with ctx.db.write() as session:
        sender = session.get(Sender, sender_id)
        assert sender is not None
        # The good one wrote STOP: its message opened the 24 h window the confirmation uses.
        simulator.inbound(sender.phone_number_id, "12125550142", "STOP")
        for n, phone in enumerate(("+1\n212 not a phone", "+12125550142")):
            repository.queue_reply(
                session,
                {
                    "workspace_id": sender.workspace_id,
                    "sender_id": sender_id,
                    "phone": phone,
                    "text": "You will get no more marketing messages.",
                    "inbound_wamid": f"wamid.in.{n}",
                    "created_at": ctx.clock.now(),
                },
            )

    assert _pass(ctx) == 2
    with ctx.db.read() as session:
        bad, good = session.query(ConsentReply).order_by(ConsentReply.id).all()
    assert (bad.status, good.status) == ("FAILED", "SENT")
    assert bad.error_title and not good.error_title
    assert simulator.sent_to("+12125550142") == 1
    assert _pass(ctx) == 0  # set aside for good, not retried
