"""Issue 11 item 3, the event deliverer: a delivery that cannot be made (its subscription's
secret is corrupt) is a failed attempt with its reason, retried with backoff; the delivery
claimed with it reaches its receiver (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.events.deliverer import DelivererConfig, deliver_once
from relaybird.events.outbox import emit
from relaybird.events.signing import new_secret
from relaybird.models import EventDelivery, EventSubscription
from tests.events.receiver import Receiver
from tests.factories import make_workspace


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def test_an_undeliverable_delivery_is_set_aside_and_the_next_one_is_posted(
    ctx: AppContext, receiver: Receiver
) -> None:
    # The receiver listens on 127.0.0.1, which deliveries refuse unless the operator allows it.
    ctx.settings = ctx.settings.model_copy(update={"event_private_networks": "127.0.0.0/8"})
    now = ctx.clock.now()
    with ctx.db.write() as session:
        ws = make_workspace(session)
        for secret in ("whsec_not*base64!", new_secret()):  # the corrupt one first
            session.add(
                EventSubscription(
                    workspace_id=ws,
                    url=receiver.url,
                    secret=secret,
                    event_types=None,
                    created_at=now,
                )
            )
        session.flush()
        emit(
            session,
            workspace_id=ws,
            type="campaign.state_changed",
            entity="campaign",
            entity_id=1,
            data={"id": 1, "from": "A", "to": "B"},
            at=now,
        )

    async def run() -> dict[str, int]:
        try:
            return await deliver_once(ctx, DelivererConfig())
        finally:
            await ctx.aclose()

    assert asyncio.run(run()) == {"PENDING": 1, "DELIVERED": 1}
    assert len(receiver.delivered) == 1
    with ctx.db.read() as session:
        bad, good = session.scalars(select(EventDelivery).order_by(EventDelivery.id)).all()
    assert (bad.status, bad.attempts, good.status) == ("PENDING", 1, "DELIVERED")
    assert bad.last_error and "Error" in bad.last_error
    assert bad.next_attempt_at is not None and bad.next_attempt_at > now  # backoff, not a spin
