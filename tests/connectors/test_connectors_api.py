"""Connectors (issue 16 item 1): created per workspace by API and CLI, secrets stored and never
returned nor logged, one per network and workspace, bad input refused with nothing written."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from relaybird.cli.main import app as cli
from relaybird.connectors import service
from relaybird.context import AppContext
from relaybird.models import Connector
from tests.factories import KeyMaker

SID = "AC" + "a1" * 16
TWILIO = {
    "network": "SMS_DIRECT",
    "name": "Advisors' numbers",
    "account_sid": SID,
    "auth_token": "tw-secret-auth-token",
    "call_message": "Please text us.",
}
LINE = {
    "network": "LINE",
    "name": "Symphony LINE",
    "channel_id": "1234567890",
    "channel_secret": "line-secret-xyz",
    "channel_access_token": "line-access-token-xyz",
    "basic_id": "@symphony",
}
WECHAT = {
    "network": "WECHAT",
    "name": "Symphony WeChat",
    "app_id": "wx1234567890abcdef",
    "app_secret": "wechat-app-secret-xyz",
    "token": "wechat-server-token",
}
SECRETS = (
    "tw-secret-auth-token",
    "line-secret-xyz",
    "line-access-token-xyz",
    "wechat-app-secret-xyz",
    "wechat-server-token",
)


def test_connectors_created_listed_secrets_never_returned_nor_logged(
    ctx: AppContext, client: TestClient, keys: KeyMaker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = keys.headers("admin")
    made = []
    for body in (TWILIO, LINE, WECHAT):
        r = client.post("/api/v1/connectors", json=body, headers=h)
        assert r.status_code == 201, r.text
        made.append(r.json())
    tw, line, wechat = made
    assert (tw["provider"], tw["account_id"], tw["secrets_set"]) == ("twilio", SID, ["auth_token"])
    assert tw["options"] == {"call_message": "Please text us."}
    assert tw["webhook_url"] == f"http://relaybird.test/webhooks/twilio/{tw['id']}"
    assert line["secrets_set"] == ["channel_access_token", "channel_secret"]
    assert line["options"] == {"basic_id": "@symphony"}
    assert wechat["secrets_set"] == ["app_secret", "token"]

    listed = client.get("/api/v1/connectors", headers=keys.headers("viewer")).json()["items"]
    assert [c["network"] for c in listed] == ["SMS_DIRECT", "LINE", "WECHAT"]
    one = client.get(f"/api/v1/connectors/{line['id']}", headers=h)
    texts = [r.text for r in (one,)] + [str(listed), str(made), caplog.text]
    assert not any(s in t for s in SECRETS for t in texts)

    # Stored encrypted (RELAYBIRD_SECRET_KEY), opened only for the adapters.
    with ctx.db.read() as session:
        row = session.get(Connector, tw["id"])
        assert row is not None and list(row.secrets) == ["auth_token"]
        assert "tw-secret" not in str(row.secrets) and "tw-secret" not in repr(row)
        account = service.twilio_account(row, "http://x", service.secret_box(ctx.settings))
        assert account.auth_token == "tw-secret-auth-token"
        assert "tw-secret" not in repr(account)

    # One per network and workspace; another workspace has its own.
    again = client.post("/api/v1/connectors", json={**TWILIO, "name": "second"}, headers=h)
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_connector")
    other = client.post("/api/v1/connectors", json=TWILIO, headers=keys.headers("admin", "other"))
    assert other.status_code == 201
    # Not visible across workspaces; only admins create or delete.
    assert (
        client.get(
            f"/api/v1/connectors/{tw['id']}", headers=keys.headers("admin", "other")
        ).status_code
        == 404
    )
    assert (
        client.post("/api/v1/connectors", json=WECHAT, headers=keys.headers("agent")).status_code
        == 403
    )

    assert client.delete(f"/api/v1/connectors/{tw['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/connectors/{tw['id']}", headers=h).status_code == 404


def test_bad_connectors_refused_nothing_written(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    h = keys.headers("admin")
    bad = [
        {**TWILIO, "account_sid": "AC123"},
        {**TWILIO, "auth_token": ""},
        {k: v for k, v in TWILIO.items() if k != "auth_token"},
        {**LINE, "channel_id": "abc"},
        {**WECHAT, "app_id": "nope"},
        {**WECHAT, "network": "WHATSAPP"},
        {**WECHAT, "extra": 1},
    ]
    for body in bad:
        r = client.post("/api/v1/connectors", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert not any(s in r.text for s in SECRETS)
    with ctx.db.read() as session:
        assert session.query(Connector).count() == 0


def test_cli_adds_lists_and_deletes_without_echoing_secrets(
    ctx: AppContext, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys.workspace_id()
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("RELAYBIRD_TWILIO_AUTH_TOKEN", "tw-secret-auth-token")
    monkeypatch.setenv("RELAYBIRD_SECRET_KEY", ctx.settings.secret_key.get_secret_value())
    runner = CliRunner()
    out = runner.invoke(cli, ["connectors", "add-twilio", "--account-sid", SID, "--json"])
    assert out.exit_code == 0, out.output
    assert "tw-secret" not in out.output and '"auth_token"' in out.output
    listed = runner.invoke(cli, ["connectors", "list"])
    assert listed.exit_code == 0 and "SMS_DIRECT" in listed.output
    dup = runner.invoke(cli, ["connectors", "add-twilio", "--account-sid", SID])
    assert dup.exit_code == 1 and "already has" in dup.output
    with ctx.db.read() as session:
        [row] = session.query(Connector).all()
    gone = runner.invoke(cli, ["connectors", "delete", str(row.id)])
    assert gone.exit_code == 0, gone.output
