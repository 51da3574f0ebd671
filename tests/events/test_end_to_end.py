"""Outgoing events through the real process: `serve`'s loops deliver a campaign's status change
to a subscriber over HTTP, signed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta

import httpx2 as httpx
import pytest

from relaybird.context import AppContext
from relaybird.events import signing
from relaybird.kit.time import ManualClock
from tests.events.receiver import Receiver
from tests.factories import KeyMaker, make_campaign, make_sender, make_workspace
from tests.fixtures.live_server import LiveServer

# The receivers listen on 127.0.0.1: allowed explicitly (RELAYBIRD_EVENT_PRIVATE_NETWORKS).
pytestmark = pytest.mark.usefixtures("allow_loopback_receivers")


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the event never arrived"
        time.sleep(0.05)


def test_serve_delivers_a_campaign_start_to_a_subscriber(
    ctx: AppContext, live_server_factory: Callable[..., LiveServer], keys: KeyMaker
) -> None:
    server = live_server_factory(loops=True)
    receiver = Receiver(fail_first=1).start()
    try:
        headers = keys.headers("admin")
        with ctx.db.write() as session:
            ws = make_workspace(session)
            campaign = make_campaign(session, ws, make_sender(session, ws))
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
            sub = http.post(
                "/api/v1/event-subscriptions",
                json={"url": receiver.url, "event_types": ["campaign.*"]},
            ).json()
            assert http.post(f"/api/v1/campaigns/{campaign}/start").status_code == 200
            log = f"/api/v1/event-subscriptions/{sub['id']}/deliveries"
            # The failed attempt is recorded (after the POST returned) with its retry time...
            _wait(lambda: [d["attempts"] for d in http.get(log).json()["items"]] == [1])
            # ...5 s later on the test's clock.
            assert isinstance(ctx.clock, ManualClock)
            ctx.clock.advance(timedelta(seconds=5))
            _wait(lambda: len(receiver.received) >= 2)
    finally:
        receiver.stop()
    first = receiver.received[0]
    assert [r.answered for r in receiver.received] == [500, 204]
    assert receiver.received[1].headers["webhook-id"] == first.headers["webhook-id"]
    body = json.loads(first.body)
    assert body["type"] == "campaign.state_changed"
    assert body["entity_id"] == campaign and body["data"]["to"] == "RUNNING"
    h = first.headers
    assert signing.verify(
        sub["secret"],
        h["webhook-id"],
        int(h["webhook-timestamp"]),
        first.body,
        h["webhook-signature"],
    )
