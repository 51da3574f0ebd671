"""Hostile values at the doors (issue 11 item 10): a non-ASCII signature or CSRF value is a plain
401/403, and deeply nested JSON a clear 400, never a 500; nothing is stored."""

from __future__ import annotations

import hashlib
import hmac

from fastapi.testclient import TestClient

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from relaybird.direct import inbound as direct
from relaybird.providers.whatsapp import signature
from tests.dashboard.helpers import logged_in
from tests.inbox.helpers import SECRET, inbox_rows

NON_ASCII = ["sha256=é", "sha256=" + "ü" * 64, "sha256=\u00ff\u00fe", "é"]


def _raw(value: str) -> bytes:
    return value.encode("utf-8")  # what a client sends; the server sees it as latin-1 text


def test_a_non_ascii_whatsapp_signature_is_a_401(sqlite_ctx: AppContext) -> None:
    with TestClient(create_app(sqlite_ctx)) as client:
        for value in NON_ASCII:
            response = client.post(
                "/webhooks/whatsapp",
                content=b'{"object": "whatsapp_business_account", "entry": []}',
                headers={"content-type": "application/json", signature.HEADER: _raw(value)},
            )
            assert response.status_code == 401, (value, response.text)
    assert inbox_rows(sqlite_ctx) == []


def test_a_non_ascii_direct_signature_is_a_401(sqlite_ctx: AppContext) -> None:
    with TestClient(create_app(sqlite_ctx)) as client:
        for value in NON_ASCII:
            response = client.post(
                "/webhooks/direct",
                content=b"{}",
                headers={"content-type": "application/json", direct.SIGNATURE_HEADER: _raw(value)},
            )
            assert response.status_code == 401, (value, response.text)


def test_a_non_ascii_csrf_value_is_a_403(sqlite_ctx: AppContext) -> None:
    with TestClient(create_app(sqlite_ctx)) as client:
        logged_in(client, sqlite_ctx, "ada@example.com")
        response = client.post(
            "/ui/users",
            data={"csrf": "é" * 32, "name": "x", "email": "x@example.com"},
            follow_redirects=False,
        )
        assert response.status_code == 403, response.text
        client.cookies.clear()
        response = client.post(
            "/ui/login",
            data={"csrf": "ü", "email": "ada@example.com", "password": "x", "workspace": "default"},
            follow_redirects=False,
        )
        assert response.status_code in (400, 403), response.text


def _deep(depth: int) -> bytes:
    return b'{"object": "whatsapp_business_account", "entry": ' + b"[" * depth + b"]" * depth + b"}"


def test_deeply_nested_signed_json_is_a_400_and_nothing_is_stored(sqlite_ctx: AppContext) -> None:
    with TestClient(create_app(sqlite_ctx)) as client:
        body = _deep(50_000)
        response = client.post(
            "/webhooks/whatsapp",
            content=body,
            headers={"content-type": "application/json", **_signed(body)},
        )
        assert response.status_code == 400, response.text
        assert "nested too deeply" in response.json()["detail"]

        body = b"[" * 20_000 + b"]" * 20_000
        secret = sqlite_ctx.settings.direct_webhook_secret.get_secret_value()
        response = client.post(
            "/webhooks/direct",
            content=body,
            headers={"content-type": "application/json", **_direct_signed(body, secret)},
        )
        assert response.status_code == 400, response.text
    assert inbox_rows(sqlite_ctx) == []


def _signed(body: bytes) -> dict[str, str]:
    return {signature.HEADER: signature.sign(body, SECRET)}


def _direct_signed(body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {direct.SIGNATURE_HEADER: f"sha256={digest}"}
