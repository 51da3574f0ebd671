"""Shared steps of the campaign tests: a sender, a campaign, an upload."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from relaybird.context import AppContext
from tests.factories import new_sender


def new_campaign(
    client: TestClient,
    ctx: AppContext,
    headers: dict[str, str],
    *,
    body_params: list[str] | None = None,
    sender_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    sender = sender_id if sender_id is not None else new_sender(ctx)
    response = client.post(
        "/api/v1/campaigns",
        json={
            "name": "spring sale",
            "sender_id": sender,
            "template": {"name": "spring", "language": "en_US", "body_params": body_params or []},
            **extra,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(
    client: TestClient,
    headers: dict[str, str],
    campaign_id: int,
    content: bytes | str,
    filename: str = "list.csv",
    **params: Any,
) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        f"/api/v1/campaigns/{campaign_id}/recipients",
        files={"file": (filename, data)},
        headers=headers,
        params=params,
    )


def phones(n: int, start: int = 0) -> list[str]:
    """Valid US numbers, distinct."""
    return [f"+1212555{(start + i) % 10000:04d}" if n <= 10000 else "" for i in range(n)]
