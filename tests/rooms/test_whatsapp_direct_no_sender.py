"""WhatsApp Direct on a virtual number that is no Cloud API number of the workspace (issue 16):
nothing pretends it was sent. The welcome to an unknown caller is FAILED with a reason saying
what to do (add the number as a sender), and no loopback outbox appears in the process."""

from __future__ import annotations

from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.rooms import outbound
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.rooms.helpers import make_user, post_direct, wait_for

VIRTUAL, CALLER = "+14155550120", "+14155550199"


def test_a_virtual_number_that_is_no_sender_is_refused_not_pretended_sent(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test")
    api.request("PUT", f"/api/v1/users/{owner}/virtual-numbers/WHATSAPP_DIRECT", {"phone": VIRTUAL})
    body = {"network": "WHATSAPP_DIRECT", "from": CALLER, "to": VIRTUAL, "text": "hi", "id": "w1"}
    status, got = post_direct(live_server.url, body)
    assert (status, got["contact_status"]) == (200, "INCOMPLETE")

    def welcome() -> dict[str, Any] | None:
        items = api.get(f"/api/v1/rooms/{got['room_id']}/messages")["items"]
        out = [m for m in items if m["direction"] == "OUT" and m["status"] != "PENDING"]
        return out[0] if out else None

    sent = wait_for(welcome)
    assert sent["status"] == "FAILED"
    assert sent["error_title"] == outbound.NOT_A_CLOUD_NUMBER.format(phone=VIRTUAL)
    assert "POST /api/v1/senders" in sent["error_title"]
    assert ctx.direct is None  # no loopback outbox stood in for the network
