"""Issue 15, live: two campaigns run on one number through the simulator; a recipient texts
STOP (and another taps Meta's marketing stop: the user_preferences fixture) after their first
message. Their later recipients in the other running campaign are never sent (the simulator's
request log), the suppressions show in the API, the STOP is confirmed by a text; START (and
Meta's resume) lift them, and a new campaign reaches both again."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.consent.helpers import fixture
from tests.factories import KeyMaker, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.inbox.helpers import signed
from tests.rooms.helpers import wait_for

X, Y = "12125550103", "12125550104"  # wa_ids: X texts STOP, Y taps Meta's stop


def _post(server: LiveServer, raw: bytes) -> None:
    request = urllib.request.Request(
        server.whatsapp_webhook_url, data=raw, method="POST", headers=signed(raw)
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _campaign(api: ApiClient, sender: int, name: str, phones: list[str]) -> int:
    body = {
        "name": name,
        "sender_id": sender,
        "template": {"name": name, "language": "en_US", "body_params": []},
    }
    cid = int(api.post("/api/v1/campaigns", body)["id"])
    rows = "\n".join(["phone", *phones]).encode()
    summary = api.upload(f"/api/v1/campaigns/{cid}/recipients", "a.csv", rows)
    assert summary["accepted"] == len(phones), summary
    return cid


def _templates_to(sim: SimHandle, wa_id: str) -> list[dict[str, Any]]:
    return [r for r in sim.requests() if r.get("to") == wa_id and r.get("template")]


def _suppressed(api: ApiClient, wa_id: str) -> str | None:
    items = api.get("/api/v1/suppressions?limit=500")["items"]
    return next((s["source"] for s in items if s["phone"] == "+" + wa_id), None)


def test_live_opt_outs_stop_later_sends_in_every_running_campaign(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    pnid, token = "5561", "tok-5561"
    simulator.add_number(pnid, token, waba_id="100000000000561")
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    server = live_server_factory(loops=True)
    simulator.configure(webhook_url=server.whatsapp_webhook_url)
    api = ApiClient(server.url, keys.create())
    sender = new_sender(ctx, phone_number_id=pnid, access_token=token, throughput_cap=4)
    others = [f"+1212555{i:04d}" for i in range(200, 230)]
    # X and Y early in the first campaign, last in the second: both run at once on the number.
    first = _campaign(api, sender, "first", ["+" + X, "+" + Y, *others[:10]])
    second = _campaign(api, sender, "second", [*others[10:], "+" + X, "+" + Y])
    api.post(f"/api/v1/campaigns/{first}/start")
    api.post(f"/api/v1/campaigns/{second}/start")

    wait_for(lambda: _templates_to(simulator, X) and _templates_to(simulator, Y))
    simulator.inbound(pnid, X, "Stop")
    _post(server, fixture("user-preferences-stop--meta-doc-adapted.json", pnid=pnid, wa_id=Y))
    wait_for(lambda: _suppressed(api, X) == "keyword" and _suppressed(api, Y) == "user_preferences")
    for cid in (first, second):
        try:
            wait_for(lambda c=cid: api.get(f"/api/v1/campaigns/{c}")["state"] == "COMPLETED", 30)
        except AssertionError:
            raise AssertionError(api.get(f"/api/v1/campaigns/{cid}")) from None
    # Sent once each (the first campaign), never again: the simulator's log of every request.
    assert len(_templates_to(simulator, X)) == 1
    assert len(_templates_to(simulator, Y)) == 1
    removed = api.get(f"/api/v1/campaigns/{second}/recipients?state=REMOVED")["items"]
    assert sorted((r["phone"], r["invalid_reason"]) for r in removed) == [
        ("+" + X, "opted out"),
        ("+" + Y, "opted out"),
    ]
    counts = api.get(f"/api/v1/campaigns/{second}")["counts"]  # one snapshot
    reached = counts["SENT"] + counts["DELIVERED"] + counts["READ"] + counts["DELIVERY_FAILED"]
    assert (reached, counts["REMOVED"]) == (20, 2), counts
    # The keyword was confirmed inside its window, as a free-form text.
    confirmation = wait_for(lambda: [r for r in simulator.sent(X) if r["type"] == "text"])
    assert confirmation[0]["text"] == ctx.settings.consent_opt_out_reply

    # START (X) and Meta's resume (Y) lift both; a new campaign reaches them again.
    simulator.inbound(pnid, X, "START")
    _post(server, fixture("user-preferences-resume--pywa.json", pnid=pnid, wa_id=Y))
    wait_for(lambda: _suppressed(api, X) is None and _suppressed(api, Y) is None)
    third = _campaign(api, sender, "third", ["+" + X, "+" + Y])
    api.post(f"/api/v1/campaigns/{third}/start")
    wait_for(
        lambda: len(_templates_to(simulator, X)) == 2 and len(_templates_to(simulator, Y)) == 2
    )
