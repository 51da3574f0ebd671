"""The per-campaign quality guard: a campaign that asked for it pauses by itself when its sender
becomes FLAGGED (signed webhook through the real endpoint); the others keep running."""

from __future__ import annotations

from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.models import Sender
from tests.factories import KeyMaker
from tests.senders.factories import add_sender
from tests.senders.webhooks import WABA, post, quality_body


def _campaign(client: TestClient, headers: dict[str, str], sender_id: int, guard: bool) -> int:
    body = {
        "name": f"guard={guard}",
        "sender_id": sender_id,
        "template": {"name": "spring", "language": "en_US", "body_params": []},
        "quality_guard": guard,
    }
    created = client.post("/api/v1/campaigns", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["quality_guard"] is guard
    cid = int(created.json()["id"])
    started = client.post(f"/api/v1/campaigns/{cid}/start", headers=headers)
    assert started.status_code == 200, started.text
    return cid


def test_guarded_campaign_pauses_when_its_sender_is_flagged(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    headers = keys.headers("admin")
    sender = add_sender(ctx, keys.workspace_id(), waba_id=WABA)
    with ctx.db.write() as s:
        s.get(Sender, sender.id).display_phone_number = "15550783881"  # type: ignore[union-attr]
    guarded = _campaign(client, headers, sender.id, True)
    free = _campaign(client, headers, sender.id, False)

    post(client, ctx, quality_body("FLAGGED"))

    paused = client.get(f"/api/v1/campaigns/{guarded}", headers=headers).json()
    assert paused["state"] == "PAUSED" and paused["paused_by"] == "engine"
    assert "quality guard" in paused["pause_reason"]
    assert client.get(f"/api/v1/campaigns/{free}", headers=headers).json()["state"] == "RUNNING"
