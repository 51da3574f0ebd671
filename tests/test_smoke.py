from fastapi.testclient import TestClient


def test_healthz_answers_on_both_databases(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
