"""WeChat through the Official Account platform end to end (issue 16 item 4), over real HTTP with
the simulator playing WeChat and aiosmtpd the mail server: the GET echo handshake; the invitation
e-mail's parametric QR code (scene bound to the invitation); the subscribe event with that scene
validates it and links the OpenID; customer-service messages sent, an expired token refreshed
once and the send retried; the 48 h window enforced (the room LIMITED when it lapses, 409
contact_must_write_first, ACTIVE again when the contact writes); forged signatures change
nothing."""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import select

from relaybird.cli.apiclient import ApiClient, ApiError
from relaybird.contacts import jobs
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import Transition
from relaybird.providers.wechat import signature, wire
from relaybird.rooms import jobs as room_jobs
from tests.contacts.helpers import payload
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.fixtures.smtp import SmtpServer
from tests.rooms.helpers import make_user, wait_for

APP_ID, SECRET, TOKEN, ORIGINAL = "wx1234567890abcdef", "wechat-app-secret", "srvtoken", "gh_abc123"
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
QR = re.compile(r"(https?://\S+/invitations/[A-Z0-9]+/wechat-qr)")


def test_wechat_qr_invitation_messages_token_refresh_and_window(
    ctx: AppContext,
    live_server_factory: Callable[..., LiveServer],
    simulator: SimHandle,
    smtp_server: SmtpServer,
    keys: KeyMaker,
    clock: ManualClock,
) -> None:
    server = live_server_factory(loops=True)
    ctx.settings = ctx.settings.model_copy(
        update={
            "public_url": server.url,
            "smtp_url": smtp_server.url,
            "wechat_api_url": simulator.url + "/wechat",
            "wechat_mp_url": simulator.url + "/wechat",
        }
    )
    api = ApiClient(server.url, keys.create())
    made = api.post(
        "/api/v1/connectors",
        {
            "network": "WECHAT",
            "name": "Symphony WeChat",
            "app_id": APP_ID,
            "app_secret": SECRET,
            "token": TOKEN,
            "original_id": ORIGINAL,
        },
    )
    hook = str(made["webhook_url"])
    simulator.request(
        "POST",
        "/_sim/wechat/accounts",
        {
            "app_id": APP_ID,
            "app_secret": SECRET,
            "token": TOKEN,
            "original_id": ORIGINAL,
            "callback_url": hook,
        },
    )
    # WeChat's server-URL check: the echo comes back only when signed with our token.
    assert simulator.request("POST", "/_sim/wechat/verify-url", {})["ok"] is True
    forged_echo = simulator.request("POST", "/_sim/wechat/verify-url", {"signature": "0" * 40})
    assert (forged_echo["ok"], forged_echo["status"]) == (False, 403)

    owner = make_user(api, "agent@x.test")
    cid = api.post("/api/v1/contacts", payload("WECHAT", owner))["id"]
    [mail] = smtp_server.wait_for(1)
    found = QR.search(mail.get_content())
    assert found is not None, mail.get_content()

    def settled() -> bool:
        jobs.settle_invitation_deliveries(ctx)
        return bool(api.get(f"/api/v1/contacts/{cid}")["status"] == "PENDING_CONFIRMATION")

    wait_for(settled)

    # The QR link: a parametric QR code of the Official Account, its image.
    with httpx.Client(timeout=10) as http:
        answer = http.get(found.group(1))
    assert answer.status_code == 303, answer.text
    image = answer.headers["location"]
    assert image.startswith(simulator.url + "/wechat/cgi-bin/showqrcode?ticket=")
    ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(image).query)["ticket"][0]

    # A forged subscribe carrying the scene changes nothing.
    ts, nonce = str(int(time.time())), "12345"
    xml = wire.event(ORIGINAL, "o_forger", int(ts), "subscribe", "qrscene_inv:1", ticket)
    with httpx.Client(timeout=10) as http:
        for sig in (None, "0" * 40, signature.sign("other-token", ts, nonce)):
            query = {"timestamp": ts, "nonce": nonce, **({"signature": sig} if sig else {})}
            r = http.post(hook, params=query, content=xml, headers={"Content-Type": "text/xml"})
            assert r.status_code == 401, r.text
    assert api.get(f"/api/v1/contacts/{cid}")["network_user_id"] is None

    # Scanning it (a new follower: subscribe with qrscene_<scene>) validates the invitation.
    scan = simulator.request("POST", "/_sim/wechat/scan", {"openid": OPENID, "ticket": ticket})
    assert (scan["status"], scan["answer"], scan["event"]) == (200, "success", "subscribe")
    contact = api.get(f"/api/v1/contacts/{cid}")
    # A validated WeChat contact has no status (WeChat has no CONFIRMED).
    assert (contact["status"], contact["network_user_id"]) == (None, OPENID)
    assert contact["invitation"]["state"] == "accepted"

    # A WeChat room: customer-service messages to the OpenID (the scan opened the window).
    room = api.post("/api/v1/rooms", {"name": "Ada", "network": "WECHAT", "owner_user_id": owner})
    rid = room["id"]
    api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": cid})

    def sent() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = simulator.request(
            "GET", f"/_sim/wechat/state?app_id={APP_ID}"
        )["sent"]
        return items

    def statuses() -> list[str]:
        return [m["status"] for m in api.get(f"/api/v1/rooms/{rid}/messages")["items"]]

    api.post(f"/api/v1/rooms/{rid}/messages", {"text": "Welcome, Ada."})
    wait_for(lambda: statuses() == ["SENT"])
    [first] = sent()
    assert (first["touser"], first["content"]) == (OPENID, "Welcome, Ada."), first
    base = 1
    assert simulator.request("GET", f"/_sim/wechat/state?app_id={APP_ID}")["token_fetches"] == 1

    # The token expires: the send is refused with 42001, the token refreshed once, retried.
    simulator.request("POST", "/_sim/wechat/expire-token", {"app_id": APP_ID})
    api.post(f"/api/v1/rooms/{rid}/messages", {"text": "Your statement is ready."})
    wait_for(lambda: statuses()[-1] == "SENT")
    assert len(sent()) == base + 1
    assert simulator.request("GET", f"/_sim/wechat/state?app_id={APP_ID}")["token_fetches"] == 2

    # Their message lands in the room.
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "谢谢"})
    msgs = api.get(f"/api/v1/rooms/{rid}/messages")["items"]
    assert ("IN", "谢谢") in [(m["direction"], m["text"]) for m in msgs]

    # 48 h later the window has lapsed: the room job makes the room LIMITED (as WhatsApp's
    # 24 h), and a message is refused up front saying what to do; nothing written, nothing sent.
    assert api.get(f"/api/v1/rooms/{rid}")["status"] == "ACTIVE"
    clock.advance(timedelta(hours=47))
    room_jobs.recheck_windows(ctx)
    assert api.get(f"/api/v1/rooms/{rid}")["status"] == "ACTIVE"  # still inside the 48 h
    clock.advance(timedelta(hours=2))
    room_jobs.recheck_windows(ctx)
    assert api.get(f"/api/v1/rooms/{rid}")["status"] == "LIMITED"
    written = len(statuses())
    with pytest.raises(ApiError) as refused:
        api.post(f"/api/v1/rooms/{rid}/messages", {"text": "Hello again?"})
    assert (refused.value.status, refused.value.body["code"]) == (409, "contact_must_write_first")
    assert "must write to the Official Account first" in refused.value.body["detail"]
    assert "template" not in refused.value.body["title"].lower()
    assert refused.value.body["contact_ids"] == [cid]
    assert len(statuses()) == written and len(sent()) == base + 1
    with ctx.db.read() as session:  # through the room lifecycle's table, as WhatsApp's
        moves = session.execute(
            select(Transition.from_state, Transition.event, Transition.to_state).where(
                Transition.entity == "room", Transition.entity_id == rid
            )
        ).all()
    assert ("ACTIVE", "window_closed", "LIMITED") in [tuple(m) for m in moves]

    # The contact writes again: the window reopens, the room is ACTIVE, the message goes.
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "还在吗?"})
    assert api.get(f"/api/v1/rooms/{rid}")["status"] == "ACTIVE"
    api.post(f"/api/v1/rooms/{rid}/messages", {"text": "Hello again!"})
    wait_for(lambda: statuses()[-1] == "SENT")
    assert sent()[-1]["content"] == "Hello again!"

    # Unsubscribe is recorded, and closes the window: LIMITED.
    simulator.request("POST", "/_sim/wechat/unsubscribe", {"openid": OPENID})
    assert api.get(f"/api/v1/contacts/{cid}")["unfollowed_at"] is not None
    assert api.get(f"/api/v1/rooms/{rid}")["status"] == "LIMITED"


def test_an_unsubscribe_we_never_saw_is_learnt_from_43004(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker
) -> None:
    from relaybird.models import Contact

    ctx.settings = ctx.settings.model_copy(
        update={"public_url": live_server.url, "wechat_api_url": simulator.url + "/wechat"}
    )
    api = ApiClient(live_server.url, keys.create())
    api.post(
        "/api/v1/connectors",
        {"network": "WECHAT", "name": "wc", "app_id": APP_ID, "app_secret": SECRET, "token": TOKEN},
    )
    # The follower unsubscribed while no callback URL was set: WeChat knows, we do not.
    simulator.request(
        "POST",
        "/_sim/wechat/accounts",
        {"app_id": APP_ID, "app_secret": SECRET, "token": TOKEN, "original_id": ORIGINAL},
    )
    simulator.request("POST", "/_sim/wechat/subscribe", {"openid": OPENID})
    simulator.request("POST", "/_sim/wechat/unsubscribe", {"openid": OPENID})
    owner = make_user(api, "agent@x.test")
    cid = api.post("/api/v1/contacts", payload("WECHAT", owner))["id"]
    with ctx.db.write() as session:  # as a validated invitation and a recent message leave it
        contact = session.get(Contact, cid)
        assert contact is not None
        contact.network_user_id = OPENID
        contact.window_expires_at = ctx.clock.now() + timedelta(hours=1)
    room = api.post("/api/v1/rooms", {"name": "Ada", "network": "WECHAT", "owner_user_id": owner})
    api.post(f"/api/v1/rooms/{room['id']}/contacts", {"contact_id": cid})
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Hello?"})

    def last() -> dict[str, Any]:
        item: dict[str, Any] = api.get(f"/api/v1/rooms/{room['id']}/messages")["items"][-1]
        return item

    wait_for(lambda: last()["status"] == "FAILED")
    assert last()["error_code"] == 43004
    assert api.get(f"/api/v1/contacts/{cid}")["unfollowed_at"] is not None
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Still?"})
    wait_for(lambda: last()["text"] == "Still?" and last()["status"] == "FAILED")
    assert "unfollowed" in last()["error_title"]
