"""WhatsApp Direct through the Cloud API (issue 16): a user's WhatsApp-Direct virtual number is a
Cloud API number of the workspace. A message to it (Meta's signed webhook, the inbox) from an
unknown number makes an INCOMPLETE contact and a room, and the welcome really goes out through
the Cloud API from that number, its statuses moving it to DELIVERED; a user's reply too."""

from __future__ import annotations

from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import make_user, wait_for

VIRTUAL, CALLER = "+14155550107", "+14155550199"


def test_whatsapp_direct_inbound_and_welcome_through_the_cloud_api(
    ctx: AppContext, simulator: SimHandle, live_server_factory: Any, keys: KeyMaker
) -> None:
    new_sender(
        ctx, phone_number_id="7007", access_token="tok-7007", display_phone_number="+1 415-555-0107"
    )
    simulator.add_number("7007", "tok-7007", display_phone_number="14155550107")
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    server: LiveServer = live_server_factory(loops=True)
    # Delivered for certain: the simulator draws each message's fate (97 % delivered by default)
    # from its phone number id, which is random per run.
    simulator.configure(webhook_url=server.whatsapp_webhook_url, delivered_p=1.0)
    api = ApiClient(server.url, keys.create())
    owner = make_user(api, "agent@x.test")
    api.request("PUT", f"/api/v1/users/{owner}/virtual-numbers/WHATSAPP_DIRECT", {"phone": VIRTUAL})

    simulator.inbound("7007", CALLER.lstrip("+"), "hello, is this Grace?")

    def contacts() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = api.get("/api/v1/contacts?network=WHATSAPP_DIRECT")["items"]
        return items

    wait_for(lambda: len(contacts()) == 1)
    [contact] = contacts()
    assert (contact["phone"], contact["status"], contact["owner_user_id"]) == (
        CALLER,
        "INCOMPLETE",
        owner,
    )
    [room] = api.get("/api/v1/rooms")["items"]
    assert room["network"] == "WHATSAPP_DIRECT"

    def messages() -> list[tuple[str, str, str]]:
        items = api.get(f"/api/v1/rooms/{room['id']}/messages")["items"]
        return [(m["direction"], m["kind"], m["status"]) for m in items]

    wait_for(
        lambda: (
            messages() == [("IN", "TEXT", "RECEIVED"), ("OUT", "WELCOME", "READ")]
            or messages() == [("IN", "TEXT", "RECEIVED"), ("OUT", "WELCOME", "DELIVERED")]
        )
    )
    assert simulator.sent_to(CALLER) == 1
    # A user's reply goes out from the same number (the window is open).
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Yes, Grace here."})
    wait_for(lambda: simulator.sent_to(CALLER) == 2)
    assert [s["text"] for s in simulator.sent(CALLER) if s["text"]][-1] == "Yes, Grace here."
