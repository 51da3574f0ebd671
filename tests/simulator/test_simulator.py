"""The simulator over real HTTP: statuses back as signed webhooks, batching, duplicates,
determinism, inbound messages, the number lifecycle."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from relaybird.providers.port import SenderCredentials, TemplateMessage
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.providers.whatsapp.signature import HEADER, verify
from tests.fixtures.simulator import SIM_APP_SECRET, SimHandle, start_simulator

SENDER = SenderCredentials("2002", "tok")


class Receiver:
    """A bare webhook endpoint recording verified bodies; answers ``fail_first`` 500s first."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(raw, self.headers.get(HEADER), SIM_APP_SECRET):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                elif receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(500)
                else:
                    receiver.bodies.append(json.loads(raw))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def statuses(self) -> list[dict[str, Any]]:
        return [
            s
            for b in self.bodies
            for e in b["entry"]
            for c in e["changes"]
            for s in c["value"].get("statuses", [])
        ]

    def changes(self, field: str) -> list[dict[str, Any]]:
        return [
            c["value"]
            for b in self.bodies
            for e in b["entry"]
            for c in e["changes"]
            if c["field"] == field
        ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def send_all(sim: SimHandle, phones: list[str]) -> list[str | None]:
    async def main() -> list[str | None]:
        client = WhatsAppCloudClient(sim.url, "v23.0")
        try:
            results = [
                await client.send_template(
                    SENDER, TemplateMessage(p, "t", "en", (), callback_data=f"r:{i}")
                )
                for i, p in enumerate(phones)
            ]
            return [r.message_id for r in results]
        finally:
            await client.close()

    return asyncio.run(main())


def test_statuses_come_back_signed_with_the_callback_data(
    simulator: SimHandle, receiver: Receiver
) -> None:
    simulator.configure(webhook_url=receiver.url, delivered_p=1.0, read_p=1.0)
    [wamid] = send_all(simulator, ["+15551230001"])
    simulator.wait_webhooks_idle()
    got = sorted((s["status"], s["id"], s["biz_opaque_callback_data"]) for s in receiver.statuses())
    assert got == [(k, wamid, "r:0") for k in ("delivered", "read", "sent")]
    assert receiver.bad_signatures == 0


def test_a_recipient_not_on_whatsapp_is_accepted_then_fails_131026(
    simulator: SimHandle, receiver: Receiver
) -> None:
    simulator.configure(webhook_url=receiver.url)
    simulator.not_on_whatsapp("+15551230002")
    [wamid] = send_all(simulator, ["+15551230002"])
    assert wamid is not None
    simulator.wait_webhooks_idle()
    [status] = receiver.statuses()
    assert status["status"] == "failed"
    assert status["errors"][0]["code"] == 131026


def test_batching_duplicates_and_retries(simulator: SimHandle) -> None:
    receiver = Receiver(fail_first=2)
    simulator.configure(
        webhook_url=receiver.url,
        batch_max=100,
        duplicate_p=1.0,
        delivered_p=1.0,
        read_p=0.0,
        sent_delay=0.05,
        delivered_delay=0.05,
    )
    phones = [f"+1555124{i:04d}" for i in range(30)]
    wamids = send_all(simulator, phones)
    state = simulator.wait_webhooks_idle()
    statuses = receiver.statuses()
    # Every status twice (duplicate_p=1): 30 sent + 30 delivered, each delivered twice.
    assert len(statuses) == 120
    assert {s["id"] for s in statuses} == set(wamids)
    assert len(receiver.bodies) < 120  # several statuses per POST
    assert state["failed"] == 0  # the two 500s were retried
    receiver.close()


def test_outcomes_are_reproducible_for_a_seed() -> None:
    def outcomes(seed: int) -> list[tuple[str, str]]:
        thread = start_simulator(seed=seed, delivered_p=0.5, read_p=0.5, failed_p=0.3)
        sim = SimHandle(thread)
        receiver = Receiver()
        try:
            sim.configure(webhook_url=receiver.url)
            phones = [f"+1555125{i:04d}" for i in range(20)]
            send_all(sim, phones)
            sim.wait_webhooks_idle()
            return sorted((s["recipient_id"], s["status"]) for s in receiver.statuses())
        finally:
            receiver.close()
            thread.stop()

    first, again, other = outcomes(7), outcomes(7), outcomes(8)
    assert first == again
    assert first != other


def test_inbound_message_is_a_signed_messages_webhook(
    simulator: SimHandle, receiver: Receiver
) -> None:
    simulator.add_number("2002", "tok")
    simulator.configure(webhook_url=receiver.url)
    wamid = simulator.inbound("2002", "+15551239999", "STOP please", context_wamid="wamid.X")
    simulator.wait_webhooks_idle()
    [value] = receiver.changes("messages")
    [message] = value["messages"]
    assert (message["id"], message["from"], message["text"]["body"]) == (
        wamid,
        "15551239999",
        "STOP please",
    )
    assert message["context"]["id"] == "wamid.X"
    assert value["metadata"]["phone_number_id"] == "2002"


def test_messaging_limit_restricts_until_the_window_moves(simulator: SimHandle) -> None:
    simulator.add_number("2002", "tok", tier="TIER_50")
    wamids = send_all(simulator, [f"+1555126{i:04d}" for i in range(51)])
    assert all(wamids[:50]) and wamids[50] is None
    assert simulator.requests()[-1]["code"] == 131048
    assert simulator.number("2002")["status"] == "RESTRICTED"
    # An earlier recipient is not new: still allowed while restricted.
    assert send_all(simulator, ["+15551260003"])[0] is not None
    simulator.advance(24 * 3600 + 1)
    assert simulator.number("2002")["status"] == "CONNECTED"
    assert send_all(simulator, ["+15551269999"])[0] is not None


def test_low_quality_flags_and_downgrades_after_seven_days(
    simulator: SimHandle, receiver: Receiver
) -> None:
    simulator.add_number("2002", "tok", tier="TIER_10K")
    simulator.configure(webhook_url=receiver.url)
    assert simulator.set_quality("2002", "RED")["status"] == "FLAGGED"
    simulator.advance(6 * 86400)
    assert simulator.number("2002")["messaging_limit"] == "TIER_10K"
    simulator.advance(86400)
    number = simulator.number("2002")
    assert (number["status"], number["messaging_limit"]) == ("CONNECTED", "TIER_1K")
    simulator.wait_webhooks_idle()
    events = [
        (v["event"], v["current_limit"]) for v in receiver.changes("phone_number_quality_update")
    ]
    assert events == [("FLAGGED", "TIER_10K"), ("DOWNGRADE", "TIER_1K")]


def test_recovery_within_seven_days_keeps_the_limit(
    simulator: SimHandle, receiver: Receiver
) -> None:
    simulator.add_number("2002", "tok", tier="TIER_10K")
    simulator.configure(webhook_url=receiver.url)
    simulator.set_quality("2002", "RED")
    simulator.advance(3 * 86400)
    number = simulator.set_quality("2002", "GREEN")
    # DESIGN §2.1: back to CONNECTED once HIGH/MEDIUM has held 7 days (senders.lifecycle).
    assert (number["status"], number["messaging_limit"]) == ("FLAGGED", "TIER_10K")
    simulator.advance(7 * 86400)
    number = simulator.number("2002")
    assert (number["status"], number["messaging_limit"]) == ("CONNECTED", "TIER_10K")
    simulator.wait_webhooks_idle()
    assert [v["event"] for v in receiver.changes("phone_number_quality_update")] == [
        "FLAGGED",
        "UNFLAGGED",
    ]


def test_ban_sends_account_update_and_refuses_sends(
    simulator: SimHandle, receiver: Receiver
) -> None:
    simulator.add_number("2002", "tok")
    simulator.configure(webhook_url=receiver.url)
    assert simulator.account_event("2002", event="DISABLED_UPDATE")["status"] == "BANNED"
    assert send_all(simulator, ["+15551270001"]) == [None]
    simulator.wait_webhooks_idle()
    [value] = receiver.changes("account_update")
    assert value["ban_info"]["waba_ban_state"] == "DISABLE"
