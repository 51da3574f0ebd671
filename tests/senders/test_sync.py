"""Sync through the real adapter against the simulator: the provider's fields feed the lifecycle."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.senders.sync import sync_due
from tests.factories import KeyMaker
from tests.fixtures.simulator import SimHandle

TOKEN = "EAAG-sim-token-1"


def _add(client: TestClient, headers: dict[str, str], pnid: str = "200100") -> int:
    body = {
        "name": "Sim line",
        "phone_number_id": pnid,
        "display_phone_number": "+1 555 020 0100",
        "access_token": TOKEN,
        "waba_id": "waba-sim",
    }
    response = client.post("/api/v1/senders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _sync(client: TestClient, sender_id: int, headers: dict[str, str]) -> dict[str, object]:
    response = client.post(f"/api/v1/senders/{sender_id}/sync", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_sync_follows_the_provider(
    ctx: AppContext,
    client: TestClient,
    keys: KeyMaker,
    simulator: SimHandle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    admin = keys.headers("admin")
    sid = _add(client, admin)

    simulator.add_number("200100", TOKEN, pending=True)
    pending = _sync(client, sid, admin)
    assert (pending["status"], pending["provider_status"]) == ("PENDING", "PENDING")

    simulator.add_number("200100", TOKEN)  # registration confirmed
    connected = _sync(client, sid, admin)
    assert connected["status"] == "CONNECTED"
    assert (connected["quality_rating"], connected["messaging_limit"]) == ("HIGH", "TIER_1K")
    assert connected["last_synced_at"] is not None

    simulator.set_quality("200100", "RED")
    flagged = _sync(client, sid, admin)
    assert (flagged["status"], flagged["quality_rating"]) == ("FLAGGED", "LOW")
    assert str(flagged["next"]["text"]).startswith("flagged: recovers or drops to TIER_250 on")  # type: ignore[index]

    simulator.account_event("200100", event="OFFLINE", offline=True)
    assert _sync(client, sid, admin)["status"] == "OFFLINE"
    simulator.account_event("200100", event="OFFLINE", offline=False)
    assert _sync(client, sid, admin)["status"] == "FLAGGED"  # the status it had

    simulator.account_event("200100", event="DISABLED_UPDATE", ban_state="DISABLE")
    banned = _sync(client, sid, admin)
    assert banned["status"] == "BANNED" and banned["sending"]["replies"] is False  # type: ignore[index]

    history = client.get(f"/api/v1/senders/{sid}/history", headers=admin).json()
    assert [h["event"] for h in history] == [
        "added",
        "registered",
        "quality_low",
        "unreachable",
        "reachable_again",
        "banned",
    ]
    assert TOKEN not in caplog.text


def test_provider_refusal_is_a_502_and_changes_nothing_else(
    ctx: AppContext, client: TestClient, keys: KeyMaker, simulator: SimHandle
) -> None:
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    admin = keys.headers("admin")
    sid = _add(client, admin, pnid="200200")
    simulator.add_number("200200", "another-token")  # our token is wrong
    response = client.post(f"/api/v1/senders/{sid}/sync", headers=admin)
    assert response.status_code == 502 and response.json()["code"] == "provider_error"
    assert TOKEN not in response.text
    shown = client.get(f"/api/v1/senders/{sid}", headers=admin).json()
    assert shown["status"] == "PENDING"


def test_periodic_sync_reads_each_number_once_per_interval(
    ctx: AppContext, clock: ManualClock, client: TestClient, keys: KeyMaker, simulator: SimHandle
) -> None:
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    sid = _add(client, keys.headers("admin"), pnid="200300")  # reads the number in the app's loop
    client.portal.call(ctx.provider.close)  # the one the app's loop made
    simulator.add_number("200300", TOKEN)
    provider = WhatsAppCloudClient(simulator.url, "v23.0")  # one for this test's own loop
    ctx.provider = provider
    every = timedelta(minutes=15)

    async def run() -> list[int]:
        done = [await sync_due(ctx, every)]
        clock.advance(every + timedelta(seconds=1))
        done.append(await sync_due(ctx, every))
        done.append(await sync_due(ctx, every))
        await provider.close()
        return done

    assert asyncio.run(run()) == [0, 1, 0]  # a new number waits; then once per interval
    shown = client.get(f"/api/v1/senders/{sid}", headers=keys.headers("admin")).json()
    assert shown["status"] == "CONNECTED"
