"""Issue 11 item 7: a revoked bootstrap key stays revoked, and start-up says so and goes on."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from relaybird.models import ApiKey
from tests.conftest import make_settings

SECRET = "bootstrap-secret-0123456789"


def test_a_revoked_bootstrap_key_stays_revoked_across_restarts(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    ctx.settings = make_settings(ctx.settings.database_url, bootstrap_admin_key=SECRET)
    bearer = {"Authorization": f"Bearer {SECRET}"}
    with TestClient(create_app(ctx)) as client:
        key_id = next(
            k["id"]
            for k in client.get("/api/v1/keys", headers=bearer).json()
            if k["name"] == "bootstrap"
        )
        assert client.delete(f"/api/v1/keys/{key_id}", headers=bearer).status_code == 204
        assert client.get("/api/v1/me", headers=bearer).status_code == 401

    for _ in range(2):  # restarts with the setting still there
        caplog.clear()
        with caplog.at_level(logging.INFO), TestClient(create_app(ctx)) as client:
            assert client.get("/api/v1/me", headers=bearer).status_code == 401
            assert client.get("/healthz").status_code == 200
        said = [r for r in caplog.records if "BOOTSTRAP_ADMIN_KEY" in r.getMessage()]
        assert len(said) == 1 and "stays revoked" in said[0].getMessage()
        assert SECRET not in caplog.text

    with ctx.db.read() as session:
        keys = session.scalars(select(ApiKey).where(ApiKey.name == "bootstrap")).all()
        assert [(k.id, k.revoked_at is not None) for k in keys] == [(key_id, True)]

    # A new key in the setting is created as usual.
    ctx.settings = make_settings(ctx.settings.database_url, bootstrap_admin_key=SECRET + "-new")
    with TestClient(create_app(ctx)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {SECRET}-new"})
        assert me.status_code == 200
