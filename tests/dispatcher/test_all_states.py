"""Every recipient state of seed 001, each reached by its own event, over real HTTP: our API and
webhook receiver under uvicorn with the background loops, the simulator playing Meta."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.inbox import service as inbox
from relaybird.kit.time import ManualClock
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle

# The event that brings each state about (DESIGN.md §2.2); SUCCESSFULLY_SUBMITTED is legacy.
EXPECTED_EVENT = {
    "INITIAL": "imported",
    "IN_PROGRESS": "claimed",
    "RETRY_SCHEDULED": "transient_error",
    "SENT": "accepted",
    "DELIVERED": "status_delivered",
    "READ": "status_read",
    "DELIVERY_FAILED": "status_failed",
    "SENDING_FAILED": "no_whatsapp_account",
    "ERROR": "retries_exhausted",
    "REMOVED": "removed",
    "CANCELED_BY_ADMIN": "campaign_ended",
    "INVALID_RECORD": "imported_invalid",
}
# A state another event may also bring about, legitimately: Meta's `sent` webhook can arrive
# before the send call that produced its wamid has returned (it races the dispatcher's record).
ALSO_BY = {"SENT": {"status_sent"}}


def _allowed(state: str) -> set[str]:
    return {EXPECTED_EVENT[state]} | ALSO_BY.get(state, set())


def _wait(
    check: Callable[[], bool], clock: ManualClock, server: LiveServer, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        # Retries come due on the test's clock; the finished campaign completes. The lease
        # job is not run: a send still in flight under CPU load is never reclaimed here.
        clock.advance(timedelta(seconds=1))
        server.run_jobs("campaigns.finish")
        time.sleep(0.1)


def test_every_recipient_state_by_its_event(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
    clock: ManualClock,
) -> None:
    ctx.settings = ctx.settings.model_copy(update={"max_attempts": 2})
    sender = new_sender(ctx, phone_number_id="5005", access_token="tok-5005")
    simulator.add_number("5005", "tok-5005")
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    server = live_server_factory(loops=True)
    simulator.configure(
        webhook_url=server.whatsapp_webhook_url, delivered_p=0.5, read_p=0.5, failed_p=0.5
    )
    simulator.not_on_whatsapp("12125559001")
    simulator.fault("error", code=131000, to="12125559002", count=5)
    api = ApiClient(server.url, keys.create())

    def campaign() -> int:
        body = {"name": "all", "sender_id": sender, "template": {"name": "t", "language": "en"}}
        return int(api.post("/api/v1/campaigns", body)["id"])

    main, ended = campaign(), campaign()
    rows = ["phone"] + [f"+1212555{i:04d}" for i in range(30)]
    rows += ["+12125559001", "+12125559002", "not a phone", "+12125559003"]
    summary = api.upload(f"/api/v1/campaigns/{main}/recipients", "a.csv", "\n".join(rows).encode())
    assert (summary["accepted"], summary["invalid"]) == (33, 1)
    removed = _by_phone(api, main)["+12125559003"]
    api.request("DELETE", f"/api/v1/campaigns/{main}/recipients/{removed}")
    api.upload(f"/api/v1/campaigns/{ended}/recipients", "b.csv", b"phone\n+12125558000\n")
    api.post(f"/api/v1/campaigns/{ended}/end")
    api.post(f"/api/v1/campaigns/{main}/start")

    def settled() -> bool:
        body = api.get(f"/api/v1/campaigns/{main}")
        return body["state"] == "COMPLETED" and simulator.webhooks()["pending"] == 0

    _wait(settled, clock, server)

    def applied() -> bool:  # the applier took every stored webhook in
        counts = inbox.counts(ctx)
        return counts.get("PENDING", 0) + counts.get("RETRY", 0) == 0

    _wait(applied, clock, server)
    seen: dict[str, set[str]] = {}
    for cid in (main, ended):
        for item in api.get(f"/api/v1/campaigns/{cid}/recipients?limit=500")["items"]:
            history = api.get(f"/api/v1/campaigns/{cid}/recipients/{item['id']}/history")
            for entry in history:
                assert entry["event"] in _allowed(entry["to_state"]), entry
                seen.setdefault(entry["to_state"], set()).add(entry["event"])
            # The final state was reached by its own event.
            assert history[-1]["to_state"] == item["state"]
            assert history[-1]["event"] in _allowed(item["state"]), (item, history[-1])
    assert set(seen) == set(EXPECTED_EVENT), set(EXPECTED_EVENT) - set(seen)
    for state, events in seen.items():
        # Each state was reached by its own event at least once (SENT by the send call itself).
        assert EXPECTED_EVENT[state] in events, (state, events)
    by_phone = {i["phone"]: i for i in api.get(f"/api/v1/campaigns/{main}/recipients")["items"]}
    assert by_phone["+12125559001"]["state"] == "SENDING_FAILED"
    assert by_phone["+12125559002"]["state"] == "ERROR"
    assert by_phone["+12125559002"]["attempts"] == 2
    assert simulator.sent_to("+12125559003") == 0  # removed before the start
    assert simulator.sent_to("+12125558000") == 0  # canceled by the end


def _by_phone(api: ApiClient, cid: int) -> dict[str, int]:
    items = api.get(f"/api/v1/campaigns/{cid}/recipients?limit=500")["items"]
    return {i["phone"]: i["id"] for i in items if i["phone"]}
