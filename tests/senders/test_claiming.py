"""Issue 11 item 6: a number is claimed only by a token shown to own it (a Graph read of the
number with that token succeeds), and a refusal or conflict says nothing about other workspaces.
The simulator plays Meta: it answers a number's read only with that number's token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker
from tests.fixtures.simulator import SimHandle

PNID = "777000111"
OWNER_TOKEN = "EAAG-owner-token"
SQUATTER_TOKEN = "EAAG-squatter-token"


def _body(token: str, pnid: str = PNID) -> dict[str, str]:
    return {
        "name": "Support line",
        "phone_number_id": pnid,
        "display_phone_number": "+1 555 010 2030",
        "access_token": token,
    }


@pytest.fixture
def meta(ctx: AppContext, simulator: SimHandle) -> SimHandle:
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    simulator.configure(auto_register=False)  # Meta knows only the numbers it was told of
    simulator.add_number(PNID, OWNER_TOKEN)
    return simulator


def test_a_token_that_cannot_read_the_number_claims_nothing(
    client: TestClient, keys: KeyMaker, meta: SimHandle
) -> None:
    squatter = keys.headers("admin", workspace="squatter")
    refused = client.post("/api/v1/senders", json=_body(SQUATTER_TOKEN), headers=squatter)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["field"] == "access_token"
    assert "cannot read phone_number_id" in problem["detail"]
    assert "workspace" not in refused.text and SQUATTER_TOKEN not in refused.text
    unknown = client.post(
        "/api/v1/senders", json=_body(SQUATTER_TOKEN, pnid="999999"), headers=squatter
    )
    assert unknown.status_code == 422
    assert client.get("/api/v1/senders", headers=squatter).json()["items"] == []

    # The rightful workspace is not blocked by the attempt.
    owner = keys.headers("admin", workspace="owner")
    created = client.post("/api/v1/senders", json=_body(OWNER_TOKEN), headers=owner)
    assert created.status_code == 201, created.text


def test_the_conflict_reads_the_same_from_every_workspace(
    client: TestClient, keys: KeyMaker, meta: SimHandle
) -> None:
    first = keys.headers("admin", workspace="first")
    other = keys.headers("admin", workspace="other")
    assert client.post("/api/v1/senders", json=_body(OWNER_TOKEN), headers=first).status_code == 201
    again_here = client.post("/api/v1/senders", json=_body(OWNER_TOKEN), headers=first)
    again_there = client.post("/api/v1/senders", json=_body(OWNER_TOKEN), headers=other)
    assert again_here.status_code == again_there.status_code == 409
    assert again_here.json() == again_there.json()
    assert "workspace" not in again_there.text and "first" not in again_there.text


def test_a_provider_that_cannot_answer_stores_nothing(client: TestClient, keys: KeyMaker) -> None:
    """No simulator: the test settings point the Graph API at a closed loopback port."""
    admin = keys.headers("admin")
    response = client.post("/api/v1/senders", json=_body(OWNER_TOKEN), headers=admin)
    assert response.status_code == 503 and response.json()["code"] == "unavailable"
    assert client.get("/api/v1/senders", headers=admin).json()["items"] == []


def test_the_cli_needs_the_same_proof(
    ctx: AppContext, meta: SimHandle, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("RELAYBIRD_GRAPH_API_URL", meta.url)
    keys.workspace_id()
    args = ["senders", "add", "--name", "S", "--phone-number-id", PNID]
    args += ["--display-phone-number", "+1 555 010 2030"]
    refused = CliRunner().invoke(app, args, input=SQUATTER_TOKEN + "\n")
    assert refused.exit_code == 1 and "cannot read phone_number_id" in refused.output
    added = CliRunner().invoke(app, args, input=OWNER_TOKEN + "\n")
    assert added.exit_code == 0, added.output
