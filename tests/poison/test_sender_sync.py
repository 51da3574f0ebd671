"""Issue 11 item 3, the sync loop: a sender whose token no HTTP header can carry is refused at
the door, and one already stored is a provider error for that sender alone (marked synced, so it
goes to the back of the line), never a crash that starves every other sender."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import Sender
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.senders.sync import sync_due
from tests.factories import KeyMaker, make_sender, make_workspace
from tests.fixtures.simulator import SimHandle

BAD_TOKEN = "tok\r\nX: 1"


@pytest.mark.parametrize("token", [BAD_TOKEN, "tok en", "tok\x00", "t" * 4097, "tök"])
def test_a_token_no_header_can_carry_is_refused_at_the_door(
    client: TestClient, keys: KeyMaker, token: str
) -> None:
    body = {
        "name": "Line",
        "phone_number_id": "300100",
        "display_phone_number": "+1 555 030 0100",
        "access_token": token,
    }
    response = client.post("/api/v1/senders", json=body, headers=keys.headers("admin"))
    assert response.status_code == 422, response.text
    assert "access_token" in response.text
    assert token not in response.text  # a secret is never echoed
    listed = client.get("/api/v1/senders", headers=keys.headers("admin")).json()
    assert listed["items"] == []


def test_a_stored_bad_token_is_set_aside_and_the_senders_behind_it_are_synced(
    ctx: AppContext, clock: ManualClock, simulator: SimHandle
) -> None:
    provider = WhatsAppCloudClient(simulator.url, "v23.0")
    ctx.provider = provider
    every = timedelta(minutes=15)
    with ctx.db.write() as session:
        ws = make_workspace(session)
        # Stored before tokens were checked (an older release): first in line.
        bad = make_sender(
            session,
            ws,
            status="PENDING",
            phone_number_id="300100",
            access_token=BAD_TOKEN,
            created_at=clock.now() - timedelta(hours=2),
        )
        good = make_sender(
            session,
            ws,
            status="PENDING",
            phone_number_id="300200",
            access_token="good-token",
            created_at=clock.now() - timedelta(hours=1),
        )
    simulator.add_number("300100", "tok")
    simulator.add_number("300200", "good-token")

    async def run() -> list[int]:
        try:
            return [await sync_due(ctx, every), await sync_due(ctx, every)]
        finally:
            await provider.close()

    # The good sender is read; the bad one was tried once, not again in the same breath.
    assert asyncio.run(run()) == [1, 0]
    with ctx.db.read() as session:
        shown = {s.id: s for s in session.query(Sender)}
    assert shown[good].status == "CONNECTED"
    assert shown[bad].last_synced_at == clock.now()  # marked: back of the line
    assert shown[bad].status == "PENDING"


def test_the_cli_and_dashboard_doors_refuse_it_too() -> None:
    from relaybird.errors import InvalidInput
    from relaybird.senders.service import NewSender

    with pytest.raises(InvalidInput, match="access_token must be"):
        NewSender("Line", "300100", "+1 555 030 0100", BAD_TOKEN)
