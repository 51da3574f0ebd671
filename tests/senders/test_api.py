"""The senders API over HTTP, on both databases: contract, roles, bad input, secrets."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker
from tests.fixtures.simulator import SimHandle

BODY = {
    "name": "Support line",
    "phone_number_id": "106540352242922",
    "display_phone_number": "+1 555-010-2030",
    "access_token": "EAAG-very-secret-token",
    "waba_id": "102290129340398",
}


@pytest.fixture(autouse=True)
def provider(ctx: AppContext, simulator: SimHandle) -> None:
    """The simulator plays Meta; the number is the token's (adding reads it with the token)."""
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    simulator.add_number(str(BODY["phone_number_id"]), str(BODY["access_token"]))


def test_add_list_show_history(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers("admin")
    created = client.post("/api/v1/senders", json=BODY, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "PENDING" and body["messaging_limit"] == "TIER_1K"
    assert body["usage"] == {
        "used": 0,
        "limit": 1000,
        "shared_by": 1,
        "frees_at": None,
        "unique_7d": 0,
    }
    assert body["sending"]["business_initiated"] is False
    assert body["next"]["kind"] == "registration"
    assert "access_token" not in body and BODY["access_token"] not in created.text

    viewer = keys.headers("viewer")
    listed = client.get("/api/v1/senders", headers=viewer).json()
    assert [s["id"] for s in listed["items"]] == [body["id"]] and listed["next_cursor"] is None
    shown = client.get(f"/api/v1/senders/{body['id']}", headers=viewer)
    assert shown.status_code == 200 and BODY["access_token"] not in shown.text
    history = client.get(f"/api/v1/senders/{body['id']}/history", headers=viewer).json()
    assert [(h["from_state"], h["to_state"], h["event"]) for h in history] == [
        (None, "PENDING", "added")
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"phone_number_id": ""},
        {"display_phone_number": "call me"},
        {"access_token": ""},
        {"limit_model": "PER_GALAXY"},
        {"unexpected": 1},
        {"throughput_cap": 0},
    ],
)
def test_bad_input_is_a_problem_and_changes_nothing(
    client: TestClient, keys: KeyMaker, change: dict[str, object]
) -> None:
    admin = keys.headers("admin")
    response = client.post("/api/v1/senders", json={**BODY, **change}, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert BODY["access_token"] not in response.text
    assert client.get("/api/v1/senders", headers=admin).json()["items"] == []


def test_duplicate_number_conflicts(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers("admin")
    assert client.post("/api/v1/senders", json=BODY, headers=admin).status_code == 201
    again = client.post("/api/v1/senders", json=BODY, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_portfolio_model_needs_a_waba(client: TestClient, keys: KeyMaker) -> None:
    body = {**BODY, "limit_model": "PER_PORTFOLIO"}
    del body["waba_id"]
    response = client.post("/api/v1/senders", json=body, headers=keys.headers("admin"))
    assert response.status_code == 422 and "waba_id" in response.json()["detail"]


def test_roles_and_workspaces(client: TestClient, keys: KeyMaker) -> None:
    viewer = keys.headers("viewer")
    assert client.post("/api/v1/senders", json=BODY, headers=viewer).status_code == 403
    created = client.post("/api/v1/senders", json=BODY, headers=keys.headers("admin")).json()
    other = keys.headers("admin", workspace="other")
    assert client.get(f"/api/v1/senders/{created['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/senders/{created['id']}/history", headers=other).status_code == 404
    assert client.post(f"/api/v1/senders/{created['id']}/sync", headers=other).status_code == 404
    assert client.get("/api/v1/senders", headers=other).json()["items"] == []


def test_token_never_logged(
    client: TestClient, keys: KeyMaker, caplog: pytest.LogCaptureFixture, ctx: AppContext
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = keys.headers("admin")
    created = client.post("/api/v1/senders", json=BODY, headers=admin).json()
    client.get(f"/api/v1/senders/{created['id']}", headers=admin)
    assert BODY["access_token"] not in caplog.text
