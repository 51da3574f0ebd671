"""The providers' webhook doors (issue 16 item 5): every callback with a missing or forged
signature is refused (401, counted as a refusal) with nothing written, an unknown connector is
404, and each door's body cap is registered with the ASGI door (413 before the body is read)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from relaybird.app.doors import webhook_limit
from relaybird.context import AppContext
from relaybird.models import Contact, RoomMessage
from tests.factories import KeyMaker

CONNECTORS: list[dict[str, Any]] = [
    {
        "network": "SMS_DIRECT",
        "name": "tw",
        "account_sid": "AC" + "1" * 32,
        "auth_token": "tok",
    },
    {
        "network": "LINE",
        "name": "ln",
        "channel_id": "1",
        "channel_secret": "sec",
        "channel_access_token": "acc",
    },
    {
        "network": "WECHAT",
        "name": "wc",
        "app_id": "wx1234567890abcdef",
        "app_secret": "s",
        "token": "tok",
    },
]
FORGED = {
    "twilio": (
        b"MessageSid=SM1&From=%2B14155550199&To=%2B14155550100&Body=hi",
        "application/x-www-form-urlencoded",
        {"X-Twilio-Signature": "bm90IGl0"},
    ),
    "line": (
        b'{"destination":"U0","events":[]}',
        "application/json",
        {"x-line-signature": "bm90IGl0"},
    ),
    "wechat": (
        b"<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
        b"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content>"
        b"<MsgId>1</MsgId></xml>",
        "text/xml",
        {},
    ),
}


def _count(ctx: AppContext) -> tuple[int, int]:
    with ctx.db.read() as session:
        return session.query(Contact).count(), session.query(RoomMessage).count()


def test_forged_callbacks_refused_on_every_door_nothing_written(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    h = keys.headers("admin")
    ids = {}
    for body in CONNECTORS:
        made = client.post("/api/v1/connectors", json=body, headers=h).json()
        ids[made["provider"]] = made["id"]
    before = _count(ctx)
    for provider, (raw, kind, headers) in FORGED.items():
        url = f"/webhooks/{provider}/{ids[provider]}"
        query = "?signature=" + "0" * 40 + "&timestamp=1&nonce=2" if provider == "wechat" else ""
        for extra in ({}, headers):
            r = client.post(url + query, content=raw, headers={"Content-Type": kind, **extra})
            assert r.status_code == 401, (provider, r.text)
        # The connector of another network, or none, is not found.
        other = next(i for p, i in ids.items() if p != provider)
        assert client.post(f"/webhooks/{provider}/{other}", content=raw).status_code == 404
        assert client.post(f"/webhooks/{provider}/99999", content=raw).status_code == 404
    # WeChat's GET echo with a wrong signature.
    echo = client.get(
        f"/webhooks/wechat/{ids['wechat']}",
        params={"signature": "0" * 40, "timestamp": "1", "nonce": "2", "echostr": "42"},
    )
    assert echo.status_code == 403 and echo.text != "42"
    assert _count(ctx) == before


@pytest.mark.parametrize(
    ("path", "cap"),
    [
        ("/webhooks/twilio/1", 64 * 1024),
        ("/webhooks/line/1", 1 << 20),
        ("/webhooks/wechat/1", 64 * 1024),
    ],
)
def test_each_door_has_its_body_cap(client: TestClient, path: str, cap: int) -> None:
    assert webhook_limit(path) == cap
    r = client.post(path, content=b"x" * (cap + 1))
    assert r.status_code == 413
