"""Helpers for the rooms tests: a stdlib client for our live server, waiting on a condition,
and signed Direct webhook posts."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from relaybird.cli.apiclient import ApiClient, ApiError
from relaybird.direct.inbound import sign
from tests.contacts.helpers import payload

DIRECT_SECRET = "test-direct-secret"  # tests/conftest.py make_settings


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def problem(call: Callable[[], Any]) -> tuple[int, dict[str, Any]]:
    try:
        call()
    except ApiError as exc:
        return exc.status, exc.body
    raise AssertionError("expected an error answer")


def make_user(api: ApiClient, email: str, virtual_number: str | None = None) -> int:
    body: dict[str, Any] = {"name": "Grace Agent", "email": email}
    if virtual_number is not None:
        body["virtual_number"] = virtual_number
    return int(api.post("/api/v1/users", body)["id"])


def make_contact(api: ApiClient, network: str, owner: int, phone: str, **kw: Any) -> int:
    return int(api.post("/api/v1/contacts", payload(network, owner, phone=phone, **kw))["id"])


def post_direct(
    base_url: str, body: dict[str, Any] | bytes, signature: str | None = "valid"
) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "valid":
        headers["X-Relaybird-Signature"] = sign(DIRECT_SECRET, raw)
    elif signature is not None:
        headers["X-Relaybird-Signature"] = signature
    req = urllib.request.Request(
        base_url + "/webhooks/direct", data=raw, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def room_messages(api: ApiClient, room: int) -> list[dict[str, Any]]:
    """A room's messages, oldest first (the first page)."""
    items: list[dict[str, Any]] = api.get(f"/api/v1/rooms/{room}/messages")["items"]
    return items
