"""LINE through the Messaging API end to end (issue 16 item 3), over real HTTP with the
simulator playing LINE and aiosmtpd the mail server: the invitation e-mail carries the Official
Account's add-friend link and the code; the code sent in the chat (a signed webhook) validates
the invitation (PENDING_CONFIRMATION → CONFIRMED) and links the LINE user; room messages are
pushed to that user; their messages land in the room; unfollow is recorded and stops pushes;
forged signatures change nothing."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.contacts import jobs
from relaybird.context import AppContext
from relaybird.providers.line import signature
from tests.contacts.helpers import payload
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.fixtures.smtp import SmtpServer
from tests.rooms.helpers import make_user, wait_for

SECRET, ACCESS = "line-channel-secret", "line-access-token"
PERSON = "U" + "4" * 32
CODE = re.compile(r"send it this code in the chat: ([A-Z0-9-]+)")


def _post(url: str, raw: bytes, sig: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if sig is not None:
        headers["x-line-signature"] = sig
    req = urllib.request.Request(url, data=raw, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_line_invitation_validated_in_chat_then_pushes_and_unfollow(
    ctx: AppContext,
    live_server_factory: Callable[..., LiveServer],
    simulator: SimHandle,
    smtp_server: SmtpServer,
    keys: KeyMaker,
) -> None:
    server = live_server_factory(loops=True)
    ctx.settings = ctx.settings.model_copy(
        update={
            "public_url": server.url,
            "smtp_url": smtp_server.url,
            "line_api_url": simulator.url + "/line",
            "line_access_url": simulator.url + "/line",
        }
    )
    api = ApiClient(server.url, keys.create())
    made = api.post(
        "/api/v1/connectors",
        {
            "network": "LINE",
            "name": "Symphony LINE",
            "channel_id": "1234567890",
            "channel_secret": SECRET,
            "channel_access_token": ACCESS,
            "basic_id": "@symphony",
        },
    )
    hook = str(made["webhook_url"])
    simulator.request(
        "POST",
        "/_sim/line/channels",
        {"access_token": ACCESS, "channel_secret": SECRET, "webhook_url": hook},
    )
    owner = make_user(api, "agent@x.test")
    contact: dict[str, Any] = api.post("/api/v1/contacts", payload("LINE", owner))
    cid = contact["id"]

    # The e-mail: the add-friend link and the code.
    [mail] = smtp_server.wait_for(1)
    text = mail.get_content()
    assert "https://line.me/R/ti/p/@symphony" in text
    found = CODE.search(text)
    assert found is not None, text
    code = found.group(1)

    def status() -> str | None:
        jobs.settle_invitation_deliveries(ctx)
        value: str | None = api.get(f"/api/v1/contacts/{cid}")["status"]
        return value

    wait_for(lambda: status() == "PENDING_CONFIRMATION")

    # A follow alone proves nothing; something else in the chat neither.
    simulator.request("POST", "/_sim/line/follow", {"user_id": PERSON})
    simulator.request("POST", "/_sim/line/message", {"user_id": PERSON, "text": "hi!"})
    assert api.get(f"/api/v1/contacts/{cid}")["status"] == "PENDING_CONFIRMATION"

    # A forged webhook carrying the code changes nothing.
    forged = json.dumps(
        {
            "destination": "U" + "0" * 32,
            "events": [
                {
                    "type": "message",
                    "mode": "active",
                    "timestamp": 1700000000000,
                    "source": {"type": "user", "userId": "U" + "6" * 32},
                    "webhookEventId": "01FORGED0000000000000000",
                    "deliveryContext": {"isRedelivery": False},
                    "replyToken": "r" * 32,
                    "message": {"id": "1", "type": "text", "text": code, "quoteToken": "q"},
                }
            ],
        }
    ).encode()
    assert _post(hook, forged, None) == 401
    assert _post(hook, forged, signature.sign(forged, "not-the-secret")) == 401
    assert _post(hook, forged + b" ", signature.sign(forged, SECRET)) == 401
    assert api.get(f"/api/v1/contacts/{cid}")["status"] == "PENDING_CONFIRMATION"

    # The code in the chat validates the invitation and links the LINE user.
    got = simulator.request("POST", "/_sim/line/message", {"user_id": PERSON, "text": code})
    assert got["status"] == 200
    linked = api.get(f"/api/v1/contacts/{cid}")
    assert (linked["status"], linked["network_user_id"]) == ("CONFIRMED", PERSON)
    assert linked["invitation"]["state"] == "accepted"

    # A LINE room: its messages are pushed to the user through the Messaging API.
    room = api.post("/api/v1/rooms", {"name": "Ada", "network": "LINE", "owner_user_id": owner})
    api.post(f"/api/v1/rooms/{room['id']}/contacts", {"contact_id": cid})
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Welcome aboard, Ada."})

    def pushes() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = simulator.request("GET", "/_sim/line/pushes")["items"]
        return [p for p in items if p["to"] == PERSON]

    wait_for(lambda: "Welcome aboard, Ada." in [p["text"] for p in pushes()])
    # Room messages carry a retry key (a retried push is sent once); the first push was the
    # account-link offer made to the new follower.
    assert all(p["retry_key"] for p in pushes() if p["text"] == "Welcome aboard, Ada.")
    assert "/link?linkToken=" in pushes()[0]["text"]
    wait_for(
        lambda: all(
            m["status"] == "SENT" for m in api.get(f"/api/v1/rooms/{room['id']}/messages")["items"]
        )
    )

    # Their message lands in the room.
    simulator.request("POST", "/_sim/line/message", {"user_id": PERSON, "text": "Thanks!"})
    msgs = api.get(f"/api/v1/rooms/{room['id']}/messages")["items"]
    assert ("IN", "Thanks!") in [(m["direction"], m["text"]) for m in msgs]

    # Unfollow: recorded; nothing is pushed to them any more.
    simulator.request("POST", "/_sim/line/unfollow", {"user_id": PERSON})
    assert api.get(f"/api/v1/contacts/{cid}")["unfollowed_at"] is not None
    before = len(pushes())
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Still there?"})
    wait_for(
        lambda: api.get(f"/api/v1/rooms/{room['id']}/messages")["items"][-1]["status"] == "FAILED"
    )
    last = api.get(f"/api/v1/rooms/{room['id']}/messages")["items"][-1]
    assert "unfollowed" in last["error_title"] and len(pushes()) == before
    # Following again clears it.
    simulator.request("POST", "/_sim/line/follow", {"user_id": PERSON})
    assert api.get(f"/api/v1/contacts/{cid}")["unfollowed_at"] is None


LINK = re.compile(r"(https?://\S+/line/\d+/link\?linkToken=\S+)")
CONTINUE = re.compile(r'<a href="([^"]+)">Continue to LINE</a>')


def test_line_account_link_flow_validates_the_invitation(
    ctx: AppContext,
    live_server_factory: Callable[..., LiveServer],
    simulator: SimHandle,
    smtp_server: SmtpServer,
    keys: KeyMaker,
) -> None:
    import html

    import httpx2 as httpx

    server = live_server_factory(loops=True)
    ctx.settings = ctx.settings.model_copy(
        update={
            "public_url": server.url,
            "smtp_url": smtp_server.url,
            "line_api_url": simulator.url + "/line",
            "line_access_url": simulator.url + "/line",
        }
    )
    api = ApiClient(server.url, keys.create())
    made = api.post(
        "/api/v1/connectors",
        {
            "network": "LINE",
            "name": "LINE",
            "channel_id": "42",
            "channel_secret": SECRET,
            "channel_access_token": ACCESS,
        },
    )
    simulator.request(
        "POST",
        "/_sim/line/channels",
        {"access_token": ACCESS, "channel_secret": SECRET, "webhook_url": made["webhook_url"]},
    )
    owner = make_user(api, "agent@x.test")
    cid = api.post("/api/v1/contacts", payload("LINE", owner))["id"]
    [mail] = smtp_server.wait_for(1)
    code = re.search(r"Or enter this code: ([A-Z0-9-]+)", mail.get_content())
    assert code is not None

    def settled() -> bool:
        jobs.settle_invitation_deliveries(ctx)
        return bool(api.get(f"/api/v1/contacts/{cid}")["status"] == "PENDING_CONFIRMATION")

    wait_for(settled)

    # 1. They follow the account: the bot pushes them the link to our page (with a link token).
    simulator.request("POST", "/_sim/line/follow", {"user_id": PERSON})
    pushes = simulator.request("GET", "/_sim/line/pushes")["items"]
    [offer] = [p for p in pushes if p["to"] == PERSON]
    found = LINK.search(offer["text"])
    assert found is not None, offer
    with httpx.Client(timeout=10) as http:
        # 2. Our page asks for the code (and changes nothing).
        page = http.get(found.group(1))
        assert page.status_code == 200 and 'name="code"' in page.text
        token = re.search(r'name="linkToken" value="([^"]+)"', page.text)
        assert token is not None
        # A wrong code: refused, nothing bound.
        path = found.group(1).split("?")[0]
        wrong = http.post(path, data={"linkToken": token.group(1), "code": "AAAA-BBBB-CCCC"})
        assert wrong.status_code == 404
        # 3. The right code: on to LINE's account-link dialog with a nonce.
        answer = http.post(
            path, data={"linkToken": html.unescape(token.group(1)), "code": code.group(1)}
        )
        assert answer.status_code == 200, answer.text
        onward = CONTINUE.search(answer.text)
        assert onward is not None, answer.text
        assert api.get(f"/api/v1/contacts/{cid}")["status"] == "PENDING_CONFIRMATION"
        # 4. LINE's dialog sends the accountLink event with our nonce: validated and linked.
        dialog = http.get(html.unescape(onward.group(1)))
        assert dialog.status_code == 200 and dialog.json()["status"] == 200
    contact = api.get(f"/api/v1/contacts/{cid}")
    assert (contact["status"], contact["network_user_id"]) == ("CONFIRMED", PERSON)
    # The nonce is used up: the same accountLink again changes nothing.
    again = simulator.request(
        "POST", "/_sim/line/account-link", {"nonce": "x" * 32, "user_id": "U" + "7" * 32}
    )
    assert again["status"] == 200
    assert api.get(f"/api/v1/contacts/{cid}")["network_user_id"] == PERSON
