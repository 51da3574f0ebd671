"""The simulator's template list API answers exactly as Graph pages (cursors, `next` only when
more follow, the requested fields), and its media upload checks Meta's limits."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from relaybird.config import Settings
from relaybird.providers.port import SenderCredentials, TemplateMessage
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.simulator.template_seed import SEED
from tests.fixtures.simulator import SimHandle

WABA, TOKEN = "100000000000555", "tok-555"


def _get(sim: SimHandle, path: str, token: str = TOKEN) -> tuple[int, Any]:
    request = urllib.request.Request(sim.url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_pages_follow_graph_cursor_paging(simulator: SimHandle) -> None:
    simulator.add_number("555", TOKEN, waba_id=WABA)
    status, first = _get(simulator, f"/v23.0/{WABA}/message_templates?limit=10")
    assert status == 200 and len(first["data"]) == 10
    # Without `fields`, Meta's default fields: no quality_score, no rejected_reason.
    assert set(first["data"][0]) == {
        "name",
        "parameter_format",
        "components",
        "language",
        "status",
        "category",
        "id",
    }
    paging = first["paging"]
    assert set(paging) == {"cursors", "next"}  # no `previous` on the first page
    assert set(paging["cursors"]) == {"before", "after"}
    assert paging["next"].startswith(f"{simulator.url}/v23.0/{WABA}/message_templates?")
    assert f"after={paging['cursors']['after']}" in paging["next"].replace("%3D", "=")

    names: list[str] = [t["name"] for t in first["data"]]
    after = paging["cursors"]["after"]
    pages = 1
    while True:
        status, page = _get(simulator, f"/v23.0/{WABA}/message_templates?limit=10&after={after}")
        assert status == 200
        pages += 1
        names += [t["name"] for t in page["data"]]
        assert "previous" in page["paging"]
        if "next" not in page["paging"]:
            break
        after = page["paging"]["cursors"]["after"]
    assert pages == 3 and names == [t["name"] for t in SEED]
    # `before` walks back.
    back_cursor = page["paging"]["cursors"]["before"]
    status, back = _get(simulator, f"/v23.0/{WABA}/message_templates?limit=10&before={back_cursor}")
    assert [t["name"] for t in back["data"]] == names[10:20]


def test_fields_filters_and_errors(simulator: SimHandle) -> None:
    simulator.add_number("555", TOKEN, waba_id=WABA)
    fields = "name,status,quality_score,rejected_reason"
    status, body = _get(
        simulator, f"/v23.0/{WABA}/message_templates?fields={fields}&status=approved&limit=100"
    )
    assert status == 200 and "paging" in body and "next" not in body["paging"]
    assert {t["status"] for t in body["data"]} == {"APPROVED"}
    assert len(body["data"]) == sum(t["status"] == "APPROVED" for t in SEED)
    first = body["data"][0]
    assert set(first) == {"name", "status", "quality_score", "rejected_reason", "id"}
    assert first["quality_score"]["score"] == "GREEN" and isinstance(first["id"], str)
    _, named = _get(simulator, f"/v23.0/{WABA}/message_templates?name=coupon")
    assert sorted(t["name"] for t in named["data"]) == [
        "coupon_code_onetime_winter_2025",
        "coupon_expiration_reminder_number_vars",
    ]
    status, bad = _get(simulator, f"/v23.0/{WABA}/message_templates?after=bm9wZQ==")
    assert status == 400 and bad["error"]["code"] == 100
    status, wrong = _get(simulator, f"/v23.0/{WABA}/message_templates", token="nope")
    assert status == 401 and wrong["error"]["code"] == 190
    status, unknown = _get(simulator, "/v23.0/42/message_templates")
    assert status == 400 and unknown["error"]["code"] == 100
    # A page cap below `limit` still pages correctly.
    simulator.configure(template_page_max=5)
    _, capped = _get(simulator, f"/v23.0/{WABA}/message_templates?limit=100")
    assert len(capped["data"]) == 5 and "next" in capped["paging"]


def _upload(sim: SimHandle, mime: str, data: bytes, product: str = "whatsapp") -> tuple[int, Any]:
    boundary = "simboundary"

    def field(name: str, value: str) -> bytes:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        return (head + value + "\r\n").encode()

    parts = [
        field("messaging_product", product),
        field("type", mime),
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        ).encode()
        + data
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    request = urllib.request.Request(
        sim.url + "/v23.0/555/media",
        data=b"".join(parts),
        method="POST",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(
    ("mime", "size", "code"),
    [
        ("image/jpeg", 1000, None),
        ("application/pdf", 1000, None),
        ("image/gif", 1000, 131053),
        ("image/png", 5 * 1024 * 1024 + 1, 131053),
    ],
)
def test_media_upload_checks_type_and_size(
    simulator: SimHandle, mime: str, size: int, code: int | None
) -> None:
    simulator.add_number("555", TOKEN, waba_id=WABA)
    status, body = _upload(simulator, mime, b"x" * size)
    if code is None:
        assert status == 200 and body["id"].isdigit()
    else:
        assert status == 400 and body["error"]["code"] == code


def test_media_upload_needs_the_messaging_product(simulator: SimHandle) -> None:
    simulator.add_number("555", TOKEN, waba_id=WABA)
    status, body = _upload(simulator, "image/jpeg", b"x", product="")
    assert status == 400 and body["error"]["code"] == 100


def test_the_templates_the_code_sends_exist_as_it_sends_them(simulator: SimHandle) -> None:
    """Strict, as at Meta: the welcome probe (RELAYBIRD_WELCOME_TEMPLATE, no parameter), the
    demo's spring_sale (one body parameter) and Meta's hello_world pass the catalogue checks."""
    simulator.add_number("555", TOKEN, waba_id=WABA)
    simulator.configure(template_catalogue="strict")
    defaults = Settings()
    messages = [
        TemplateMessage(
            "+15550100001", defaults.welcome_template, defaults.welcome_template_language
        ),
        TemplateMessage("+15550100002", "spring_sale", "en_US", ("Ana",)),
        TemplateMessage("+15550100003", "hello_world", "en_US"),
    ]

    async def send() -> list[bool]:
        client = WhatsAppCloudClient(simulator.url, "v23.0")
        try:
            results = [
                await client.send_template(SenderCredentials("555", TOKEN), m) for m in messages
            ]
        finally:
            await client.close()
        return [r.accepted for r in results]

    assert asyncio.run(send()) == [True, True, True]
