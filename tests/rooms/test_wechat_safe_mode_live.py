"""WeChat's safe mode end to end (issue 16): the connector has the account's EncodingAESKey and
the simulator sends every callback encrypted (AES-256-CBC, ``msg_signature`` over the
ciphertext), as WeChat does in safe mode. The QR scan is decrypted and validates the
invitation; a callback whose ciphertext was altered, or a plain one (an account in safe mode
never sends one), is refused with nothing changed. The cipher itself is checked against the
published vector in tests/providers/wechat/test_crypto.py."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable

import httpx2 as httpx

from relaybird.cli.apiclient import ApiClient
from relaybird.contacts import invitations, jobs
from relaybird.context import AppContext
from relaybird.models import Invitation
from relaybird.providers.wechat import signature, wire
from relaybird.providers.wechat.crypto import WeChatCrypto, envelope_xml
from tests.contacts.helpers import payload
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.fixtures.smtp import SmtpServer
from tests.rooms.helpers import make_user, wait_for
from tests.rooms.test_wechat_live import APP_ID, OPENID, ORIGINAL, QR, SECRET, TOKEN

AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"  # wechatpy's published test key


def test_safe_mode_callbacks_are_decrypted_and_tampering_refused(
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
            "wechat_api_url": simulator.url + "/wechat",
            "wechat_mp_url": simulator.url + "/wechat",
        }
    )
    api = ApiClient(server.url, keys.create())
    made = api.post(
        "/api/v1/connectors",
        {
            "network": "WECHAT",
            "name": "Safe WeChat",
            "app_id": APP_ID,
            "app_secret": SECRET,
            "token": TOKEN,
            "encoding_aes_key": AES_KEY,
            "original_id": ORIGINAL,
        },
    )
    assert "encoding_aes_key" in made["secrets_set"]
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
            "encoding_aes_key": AES_KEY,
            "safe_mode": True,
        },
    )
    owner = make_user(api, "agent@x.test")
    cid = api.post("/api/v1/contacts", payload("WECHAT", owner))["id"]
    [mail] = smtp_server.wait_for(1)
    found = QR.search(mail.get_content())
    assert found is not None

    def settled() -> bool:
        jobs.settle_invitation_deliveries(ctx)
        return bool(api.get(f"/api/v1/contacts/{cid}")["status"] == "PENDING_CONFIRMATION")

    wait_for(settled)
    with httpx.Client(timeout=10) as http:
        image = http.get(found.group(1)).headers["location"]
    ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(image).query)["ticket"][0]

    # Forged deliveries of the subscribe that would validate it: nothing changes.
    box = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    ts, nonce = str(int(time.time())), "424242"
    with ctx.db.read() as session:
        [invitation] = session.query(Invitation).filter_by(contact_id=cid).all()
    scene = "qrscene_" + invitations.invitation_scene(invitation.id)
    xml = wire.event(ORIGINAL, "o_forger", int(ts), "subscribe", scene, ticket)
    sealed = box.seal(xml, ts, nonce)
    tampered = sealed.encrypted[:20] + ("A" if sealed.encrypted[20] != "A" else "B")
    tampered += sealed.encrypted[21:]
    plain_query = {"signature": signature.sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    aes_query = {**plain_query, "encrypt_type": "aes", "msg_signature": sealed.msg_signature}
    with httpx.Client(timeout=10) as http:
        for query, body in (
            (aes_query, envelope_xml(ORIGINAL, tampered)),  # ciphertext altered
            ({**aes_query, "msg_signature": "0" * 40}, envelope_xml(ORIGINAL, sealed.encrypted)),
            (plain_query, xml),  # plain: an account in safe mode never sends one
        ):
            r = http.post(hook, params=query, content=body, headers={"Content-Type": "text/xml"})
            assert r.status_code == 401, r.text
    assert api.get(f"/api/v1/contacts/{cid}")["network_user_id"] is None

    # The real scan arrives encrypted; decrypted, it validates the invitation.
    scan = simulator.request("POST", "/_sim/wechat/scan", {"openid": OPENID, "ticket": ticket})
    assert (scan["status"], scan["answer"], scan["event"]) == (200, "success", "subscribe")
    contact = api.get(f"/api/v1/contacts/{cid}")
    assert (contact["network_user_id"], contact["invitation"]["state"]) == (OPENID, "accepted")
    # The follower's message, encrypted too, lands in their room.
    room = api.post("/api/v1/rooms", {"name": "Ada", "network": "WECHAT", "owner_user_id": owner})
    api.post(f"/api/v1/rooms/{room['id']}/contacts", {"contact_id": cid})
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "你好"})
    texts = [m["text"] for m in api.get(f"/api/v1/rooms/{room['id']}/messages")["items"]]
    assert "你好" in texts
