from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import KeyMaker

PATH = "/api/v1/event-subscriptions"


def test_create_returns_a_secret_once_and_lists_without_it(
    client: TestClient, keys: KeyMaker
) -> None:
    admin = keys.headers("admin")
    created = client.post(
        PATH,
        json={"url": "https://receiver.example/hook", "event_types": ["recipient.*"]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["recipient.*"]
    listed = client.get(PATH, headers=admin).json()
    assert [s["id"] for s in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert client.get(f"{PATH}/{body['id']}", headers=admin).json()["url"] == body["url"]


def test_bad_input_is_a_problem_and_creates_nothing(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers("admin")
    for bad in (
        {"url": "ftp://example.com"},
        {"url": "http://example.com", "event_types": ["Not A Type"]},
        {"event_types": ["campaign.state_changed"]},
    ):
        response = client.post(PATH, json=bad, headers=admin)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get(PATH, headers=admin).json() == []


def test_only_admins_and_only_their_workspace(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers("admin")
    sub = client.post(PATH, json={"url": "https://receiver.example/"}, headers=admin).json()
    viewer = client.post(
        PATH, json={"url": "https://receiver.example/"}, headers=keys.headers("viewer")
    )
    assert viewer.status_code == 403
    other = keys.headers("admin", workspace="other")
    assert client.get(f"{PATH}/{sub['id']}", headers=other).status_code == 404
    assert client.delete(f"{PATH}/{sub['id']}", headers=other).status_code == 404
    assert client.get(f"{PATH}/{sub['id']}/deliveries", headers=other).status_code == 404
    assert client.delete(f"{PATH}/{sub['id']}", headers=admin).status_code == 204
    assert client.get(f"{PATH}/{sub['id']}", headers=admin).status_code == 404


def test_delivery_log_rejects_an_unknown_status_filter(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers("admin")
    sub = client.post(PATH, json={"url": "https://receiver.example/"}, headers=admin).json()
    response = client.get(f"{PATH}/{sub['id']}/deliveries?status=LOST", headers=admin)
    assert response.status_code == 422
    response = client.post(f"{PATH}/{sub['id']}/replay", json={"statuses": []}, headers=admin)
    assert response.status_code == 422
