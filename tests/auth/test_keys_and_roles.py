"""API keys (hashed, shown once), roles per endpoint, workspace isolation (404, not 403)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from relaybird.auth.keys import hash_key
from relaybird.cli.main import app as cli
from relaybird.context import AppContext
from relaybird.models import ApiKey
from tests.factories import KeyMaker


def test_requests_without_a_key_get_401_problem(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}).status_code == 401


def test_key_is_shown_once_and_only_its_hash_is_stored(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    admin = keys.headers("admin")
    created = client.post("/api/v1/keys", json={"name": "ci", "role": "viewer"}, headers=admin)
    assert created.status_code == 201, created.text
    secret = created.json()["key"]
    assert secret.startswith("rbk_")
    with ctx.db.read() as s:
        stored = s.scalars(select(ApiKey).where(ApiKey.id == created.json()["id"])).one()
    assert stored.key_hash == hash_key(secret)
    assert secret not in (stored.prefix, stored.key_hash, stored.name)
    listed = client.get("/api/v1/keys", headers=admin).json()
    assert all("key" not in k for k in listed)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["role"] == "viewer"


def test_roles_are_enforced_per_endpoint(client: TestClient, keys: KeyMaker) -> None:
    for role, can_manage_keys in (("viewer", False), ("agent", False), ("admin", True)):
        headers = keys.headers(role)
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        response = client.post(
            "/api/v1/keys", json={"name": "x", "role": "viewer"}, headers=headers
        )
        assert (response.status_code == 201) is can_manage_keys, (role, response.text)
        if not can_manage_keys:
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden"


def test_revoked_key_stops_working(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers("admin")
    created = client.post(
        "/api/v1/keys", json={"name": "tmp", "role": "agent"}, headers=admin
    ).json()
    other = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/api/v1/me", headers=other).status_code == 200
    assert client.delete(f"/api/v1/keys/{created['id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/me", headers=other).status_code == 401


def test_a_workspace_cannot_touch_another_workspaces_rows(
    client: TestClient, keys: KeyMaker
) -> None:
    mine = keys.headers("admin", "alpha")
    theirs = keys.headers("admin", "beta")
    their_key = client.post(
        "/api/v1/keys", json={"name": "b", "role": "viewer"}, headers=theirs
    ).json()
    # Not 403: a foreign id must look exactly like a missing one.
    response = client.delete(f"/api/v1/keys/{their_key['id']}", headers=mine)
    assert response.status_code == 404
    missing = client.delete("/api/v1/keys/987654", headers=mine)
    assert missing.status_code == 404
    assert response.json()["detail"].replace(str(their_key["id"]), "N") == missing.json()[
        "detail"
    ].replace("987654", "N")
    ids = [k["id"] for k in client.get("/api/v1/keys", headers=mine).json()]
    assert their_key["id"] not in ids


def test_bootstrap_admin_key_from_the_environment(ctx: AppContext) -> None:
    from relaybird.app.factory import create_app
    from tests.conftest import make_settings

    secret = "bootstrap-secret-0123456789"
    ctx.settings = make_settings(ctx.settings.database_url, bootstrap_admin_key=secret)
    with TestClient(create_app(ctx)) as c:
        me = c.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200
        assert me.json()["role"] == "admin"
    with TestClient(create_app(ctx)) as c:  # a restart does not create a second key
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    with ctx.db.read() as s:
        assert len(s.scalars(select(ApiKey).where(ApiKey.name == "bootstrap")).all()) == 1


def test_cli_keys_create(sqlite_url: str, monkeypatch: object) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    mp.setenv("RELAYBIRD_DATABASE_URL", sqlite_url)
    try:
        result = CliRunner().invoke(
            cli, ["keys", "create", "--role", "agent", "--workspace", "acme"]
        )
        assert result.exit_code == 0, result.output
        secret = result.output.split()[0]
        assert secret.startswith("rbk_")
        assert "shown once" in result.output
        bad = CliRunner().invoke(cli, ["keys", "create", "--role", "root"])
        assert bad.exit_code == 2
        assert "root" in bad.output
        bad_ws = CliRunner().invoke(
            cli, ["keys", "create", "--role", "admin", "--workspace", "Bad Name"]
        )
        assert bad_ws.exit_code == 1
        assert "workspace slug" in bad_ws.output
    finally:
        mp.undo()
