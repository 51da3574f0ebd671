"""POST/GET /webhooks/whatsapp: the handshake, and every refusal stores nothing."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from pydantic import SecretStr

from relaybird.context import AppContext
from tests.inbox.helpers import inbox_rows, signed, status, statuses_body

URL = "/webhooks/whatsapp"


def test_handshake_echoes_the_challenge_when_the_token_matches(client: TestClient) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": "test-verify-token",
        "hub.challenge": "1158201444",
    }
    response = client.get(URL, params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"


def test_handshake_refuses_a_wrong_or_missing_token(client: TestClient) -> None:
    wrong = client.get(
        URL, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert (
        client.get(URL, params={"hub.mode": "subscribe", "hub.challenge": "1"}).status_code == 403
    )
    assert client.get(URL).status_code == 403


def test_a_signed_body_is_stored_once(client: TestClient, ctx: AppContext) -> None:
    body = statuses_body([status("wamid.A", "sent")])
    assert client.post(URL, content=body, headers=signed(body)).status_code == 200
    # Meta retries the same POST (and sends it to every subscribed app): stored once.
    assert client.post(URL, content=body, headers=signed(body)).status_code == 200
    [row] = inbox_rows(ctx)
    assert row.body == body  # byte for byte, as signed
    assert (row.source, row.status, row.attempts) == ("whatsapp", "PENDING", 0)


def test_unsigned_or_wrongly_signed_bodies_get_401_and_nothing_is_stored(
    client: TestClient, ctx: AppContext
) -> None:
    body = statuses_body([status("wamid.A", "sent")])
    assert (
        client.post(URL, content=body, headers={"Content-Type": "application/json"}).status_code
        == 401
    )
    assert client.post(URL, content=body, headers=signed(body, "other-secret")).status_code == 401
    tampered = body.replace(b"sent", b"read")
    response = client.post(URL, content=tampered, headers=signed(body))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert inbox_rows(ctx) == []


def test_a_body_over_3_mb_gets_413_and_nothing_is_stored(
    client: TestClient, ctx: AppContext
) -> None:
    big = json.dumps({"object": "whatsapp_business_account", "entry": [], "pad": "x" * 3_200_000})
    raw = big.encode()
    response = client.post(URL, content=raw, headers=signed(raw))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert inbox_rows(ctx) == []


def test_malformed_json_gets_400_and_nothing_is_stored(client: TestClient, ctx: AppContext) -> None:
    for raw in (b'{"object": "whatsapp_business_account", "entry": [', b"[1, 2]", b"\xff\xfe"):
        response = client.post(URL, content=raw, headers=signed(raw))
        assert response.status_code == 400, raw
        assert response.json()["code"] == "bad_request"
    assert inbox_rows(ctx) == []


def test_an_unconfigured_app_secret_accepts_nothing(ctx: AppContext) -> None:
    from relaybird.app.factory import create_app
    from relaybird.context import AppContext as Ctx

    bare = Ctx(
        settings=ctx.settings.model_copy(update={"whatsapp_app_secret": SecretStr("")}),
        db=ctx.db,
        clock=ctx.clock,
    )
    body = statuses_body([status("wamid.A", "sent")])
    with TestClient(create_app(bare)) as client:
        assert client.post(URL, content=body, headers=signed(body, "")).status_code == 401
    assert inbox_rows(ctx) == []
