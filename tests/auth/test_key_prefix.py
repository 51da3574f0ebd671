"""Issue 11 item 10 (part): the prefix a listing shows is a public identifier, never characters
of the key's secret; keys stored before that still authenticate and stop showing theirs."""

from __future__ import annotations

import secrets

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.auth.keys import hash_key
from relaybird.context import AppContext
from relaybird.models import ApiKey
from relaybird.runtime import bootstrap
from tests.conftest import make_settings
from tests.factories import KeyMaker


def test_a_new_key_is_listed_by_its_public_id(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers("admin")
    created = client.post("/api/v1/keys", json={"name": "ci", "role": "viewer"}, headers=admin)
    key, prefix = created.json()["key"], created.json()["prefix"]
    public, _, secret = key.removeprefix("rbk_").partition("_")
    assert prefix == f"rbk_{public}" and len(public) == 8 and len(secret) >= 43
    assert secret[:4] not in prefix
    listed = {k["id"]: k["prefix"] for k in client.get("/api/v1/keys", headers=admin).json()}
    assert listed[created.json()["id"]] == prefix
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200


def test_older_keys_still_work_and_no_longer_show_part_of_their_secret(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    admin = keys.headers("admin")
    old = "rbk_" + secrets.token_urlsafe(32)  # the format before public ids
    with ctx.db.write() as session:
        session.add(
            ApiKey(
                workspace_id=keys.workspace_id(),
                name="old",
                role="viewer",
                key_hash=hash_key(old),
                prefix=old[:10],  # what was stored then: 6 characters of the secret
                created_at=ctx.clock.now(),
            )
        )
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    shown = next(k for k in client.get("/api/v1/keys", headers=admin).json() if k["name"] == "old")
    assert shown["prefix"] == f"sha256:{hash_key(old)[:8]}"
    assert old[4:10] not in client.get("/api/v1/keys", headers=admin).text

    bootstrap(ctx)  # start-up rewrites what the database kept
    with ctx.db.read() as session:
        stored = session.scalars(select(ApiKey.prefix).where(ApiKey.name == "old")).one()
    assert stored == shown["prefix"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}).status_code == 200


def test_an_operator_chosen_key_is_shown_by_its_digest(ctx: AppContext) -> None:
    chosen = "my-own-bootstrap-key-0123456789"
    ctx.settings = make_settings(ctx.settings.database_url, bootstrap_admin_key=chosen)
    bootstrap(ctx)
    with ctx.db.read() as session:
        stored = session.scalars(select(ApiKey.prefix).where(ApiKey.name == "bootstrap")).one()
    assert stored == f"sha256:{hash_key(chosen)[:8]}" and "my-own" not in stored
