"""The deliverer against a real HTTP receiver on 127.0.0.1 that fails on purpose."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from relaybird.context import AppContext
from relaybird.events import service, signing
from relaybird.events.deliverer import DelivererConfig, deliver_once
from relaybird.events.outbox import emit
from relaybird.kit.time import ManualClock
from relaybird.models import EventDelivery, OutboxEvent
from tests.events.receiver import Receiver
from tests.factories import KeyMaker

# The receivers listen on 127.0.0.1: allowed explicitly (RELAYBIRD_EVENT_PRIVATE_NETWORKS).
pytestmark = pytest.mark.usefixtures("allow_loopback_receivers")

PATH = "/api/v1/event-subscriptions"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def _emit(ctx: AppContext, workspace_id: int, type_: str, entity_id: int) -> None:
    with ctx.db.write() as session:
        emit(
            session,
            workspace_id=workspace_id,
            type=type_,
            entity=type_.split(".")[0],
            entity_id=entity_id,
            data={"id": entity_id, "from": "A", "to": "B"},
            at=ctx.clock.now(),
        )


def _subscribe(client: TestClient, headers: dict[str, str], url: str, **extra: object) -> dict:
    response = client.post(PATH, json={"url": url, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _run(ctx: AppContext, *steps: timedelta | None) -> list[dict[str, int]]:
    """Run deliverer steps in one event loop; a timedelta advances the clock before its step."""
    clock = ctx.clock
    assert isinstance(clock, ManualClock)

    async def scenario() -> list[dict[str, int]]:
        tallies = []
        for step in steps:
            if step is not None:
                clock.advance(step)
            tallies.append(await deliver_once(ctx, DelivererConfig()))
        await ctx.aclose()
        return tallies

    return asyncio.run(scenario())


def test_signed_delivery_retried_with_backoff_until_the_receiver_recovers(
    ctx: AppContext, client: TestClient, keys: KeyMaker, receiver: Receiver
) -> None:
    admin = keys.headers("admin")
    ws = keys.workspace_id()
    _emit(ctx, ws, "campaign.state_changed", 1)  # before the subscription: not delivered
    sub = _subscribe(client, admin, receiver.url)
    _emit(ctx, ws, "campaign.state_changed", 2)
    _emit(ctx, ws, "recipient.state_changed", 3)
    receiver.fail_first = 3  # both first attempts fail, and the first retry of one of them

    tallies = _run(ctx, None, None, timedelta(seconds=5), timedelta(seconds=10))

    assert tallies[0] == {"PENDING": 2}
    assert tallies[1] == {}  # nothing due before the 5 s backoff
    assert tallies[2] == {"PENDING": 1, "DELIVERED": 1}
    assert tallies[3] == {"DELIVERED": 1}
    assert len(receiver.received) == 5
    delivered = receiver.delivered
    assert sorted(json.loads(r.body)["entity_id"] for r in delivered) == [2, 3]
    for request in receiver.received:
        h = request.headers
        assert signing.verify(
            sub["secret"],
            h["webhook-id"],
            int(h["webhook-timestamp"]),
            request.body,
            h["webhook-signature"],
        )
        document = json.loads(request.body)
        assert h["webhook-id"] == document["id"]
        assert document["type"] in ("campaign.state_changed", "recipient.state_changed")
        assert document["data"]["to"] == "B"

    log = client.get(f"{PATH}/{sub['id']}/deliveries", headers=admin).json()["items"]
    assert [(d["status"], d["last_status_code"]) for d in log] == [
        ("DELIVERED", 204),
        ("DELIVERED", 204),
    ]
    assert sorted(d["attempts"] for d in log) == [2, 3]


def test_gives_up_after_three_days_and_replay_sends_again(
    ctx: AppContext, client: TestClient, keys: KeyMaker, receiver: Receiver
) -> None:
    admin = keys.headers("admin")
    ws = keys.workspace_id()
    sub = _subscribe(client, admin, receiver.url)
    _emit(ctx, ws, "sender.status_changed", 7)
    receiver.down = True
    policy = service.RetryPolicy()
    # Step through the whole schedule: each step lands exactly on the next attempt.
    steps: list[timedelta | None] = [None]
    waited, attempts = timedelta(0), 0
    while True:
        attempts += 1
        delay = policy.delay(attempts)
        if waited + delay > policy.give_up_after:
            break
        waited += delay
        steps.append(delay)
    tallies = _run(ctx, *steps)
    assert tallies[-1] == {"FAILED": 1}
    assert all(t == {"PENDING": 1} for t in tallies[:-1])
    assert len(receiver.received) == attempts
    # The backoff grew: 5 s, 10 s, 20 s, ... and was capped.
    assert policy.delay(1) == timedelta(seconds=5)
    assert policy.delay(2) == timedelta(seconds=10)
    assert policy.delay(40) == policy.cap

    failed = client.get(f"{PATH}/{sub['id']}/deliveries?status=FAILED", headers=admin).json()
    assert len(failed["items"]) == 1
    # Status only: never what the receiver said in its body.
    assert failed["items"][0]["last_error"] == "HTTP 500"

    receiver.down = False
    replay = client.post(f"{PATH}/{sub['id']}/replay", json={}, headers=admin)
    assert replay.json() == {"queued": 1}
    # A second replay while the first is pending queues nothing more.
    assert client.post(f"{PATH}/{sub['id']}/replay", json={}, headers=admin).json() == {"queued": 0}
    assert _run(ctx, None) == [{"DELIVERED": 1}]
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(ids) == 1  # the replay kept the event's webhook-id
    log = client.get(f"{PATH}/{sub['id']}/deliveries", headers=admin).json()["items"]
    assert [d["status"] for d in log] == ["FAILED", "DELIVERED"]


def test_event_types_and_workspaces_filter_the_fan_out(
    ctx: AppContext, client: TestClient, keys: KeyMaker, receiver: Receiver
) -> None:
    admin = keys.headers("admin")
    ws = keys.workspace_id()
    other_ws = keys.workspace_id("other")
    _subscribe(client, admin, receiver.url, event_types=["recipient.*", "sender.status_changed"])
    _emit(ctx, ws, "campaign.state_changed", 1)
    _emit(ctx, ws, "recipient.state_changed", 2)
    _emit(ctx, other_ws, "recipient.state_changed", 3)
    _emit(ctx, ws, "sender.status_changed", 4)
    _emit(ctx, ws, "sender.quality_changed", 5)
    assert _run(ctx, None) == [{"DELIVERED": 2}]
    assert sorted(json.loads(r.body)["entity_id"] for r in receiver.received) == [2, 4]


def test_fan_out_in_batches_keeps_event_order_in_the_log(
    ctx: AppContext, client: TestClient, keys: KeyMaker, receiver: Receiver
) -> None:
    admin = keys.headers("admin")
    ws = keys.workspace_id()
    sub = _subscribe(client, admin, receiver.url)
    for i in range(7):
        _emit(ctx, ws, "recipient.state_changed", i)
    assert service.fan_out(ctx.db, at=ctx.clock.now(), batch=3) == 7
    assert service.fan_out(ctx.db, at=ctx.clock.now(), batch=3) == 0
    log = client.get(f"{PATH}/{sub['id']}/deliveries", headers=admin).json()["items"]
    event_ids = [d["event_id"] for d in log]
    assert event_ids == sorted(event_ids)
    assert len(event_ids) == 7


def test_prune_deletes_only_old_fully_delivered_events(
    ctx: AppContext, client: TestClient, keys: KeyMaker, receiver: Receiver
) -> None:
    admin = keys.headers("admin")
    ws = keys.workspace_id()
    _subscribe(client, admin, receiver.url)
    _emit(ctx, ws, "campaign.state_changed", 1)
    _emit(ctx, ws, "campaign.state_changed", 2)
    receiver.fail_first = 1  # one of the two stays pending
    _run(ctx, None)
    clock = ctx.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=8))
    _emit(ctx, ws, "campaign.state_changed", 3)  # recent: kept
    assert service.prune(ctx.db, before=clock.now() - timedelta(days=7)) == 1
    with ctx.db.read() as session:
        left = list(session.scalars(select(OutboxEvent.entity_id).order_by(OutboxEvent.id)))
        deliveries = session.scalar(select(func.count()).select_from(EventDelivery))
    assert len(left) == 2 and 3 in left
    assert deliveries == 1  # the pending one; the delivered one went with its event
