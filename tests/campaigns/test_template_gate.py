"""Issue 14, gating: a campaign whose sender's business account has a synced catalogue is checked
against it at creation, start and resume (422 naming the problem); an account with no catalogue
yet keeps the free-text template, unchecked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from relaybird.campaigns.jobs import start_scheduled
from relaybird.context import AppContext
from relaybird.simulator.template_seed import SEED
from relaybird.templates import service as templates
from tests.factories import KeyMaker, make_workspace, new_sender
from tests.templates.helpers import catalogue_item

WABA = "100000000000042"


def _synced_sender(ctx: AppContext) -> int:
    sender = new_sender(ctx, waba_id=WABA)
    with ctx.db.write() as session:
        ws = make_workspace(session, "default")
        items = [catalogue_item(dict(t)) for t in SEED]
        templates.apply_catalogue(session, ws, WABA, items, actor="sync", now=ctx.clock.now())
    return sender


def _create(
    client: TestClient, h: dict[str, str], sender: int, name: str, language: str, params: list[str]
) -> Any:
    return client.post(
        "/api/v1/campaigns",
        json={
            "name": "gated",
            "sender_id": sender,
            "template": {"name": name, "language": language, "body_params": params},
        },
        headers=h,
    )


def test_creation_is_checked_against_the_synced_catalogue(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    sender = _synced_sender(ctx)
    ok = _create(client, h, sender, "order_confirmation", "en_US", ["name", "order"])
    assert ok.status_code == 201, ok.text
    # Quick replies are optional: a body-only campaign may use spring_sale.
    assert _create(client, h, sender, "spring_sale", "en_US", ["name"]).status_code == 201

    def refused(name: str, language: str, params: list[str]) -> str:
        r = _create(client, h, sender, name, language, params)
        assert r.status_code == 422, r.text
        body = r.json()
        assert [e["field"] for e in body["errors"]] == ["template"] * len(body["errors"])
        assert body["detail"].startswith("template: ")
        return "; ".join(str(e["msg"]) for e in body["errors"])

    missing = refused("order_confirmation", "fr", ["name", "order"])
    assert missing.startswith(
        f"template 'order_confirmation' (fr) is not in the catalogue of business account {WABA}"
    )
    assert "run templates sync" in missing
    paused = refused("weekend_flash_sale", "en_US", ["a", "b"])
    assert paused.startswith("template 'weekend_flash_sale' (en_US) is PAUSED, not sendable")
    rejected = refused("abandoned_cart", "en", ["a", "b"])
    assert "is REJECTED, not sendable (Meta: INVALID_FORMAT)" in rejected
    count = refused("order_confirmation", "en_US", ["name"])
    assert count == (
        "template 'order_confirmation' (en_US) has 2 body parameter(s) ({{1}}, {{2}}); "
        "template.body_params names 1"
    )
    assert "has 0 body parameter(s) (none)" in refused("hello_world", "en_US", ["extra"])
    named = refused("appointment_reminder", "en_US", ["patient", "time"])
    assert "uses named body parameters" in named
    image = refused("summer_promo", "en_US", ["a", "b"])
    assert "header.image: not mapped" in image and "buttons[0].url: not mapped" in image
    # Every problem at once, with the body's own checks.
    r = client.post(
        "/api/v1/campaigns",
        json={
            "name": "x",
            "sender_id": sender,
            "template": {"name": "old_newsletter", "language": "en", "body_params": ["", ""]},
            "start_at": "2026-01-05T09:00:00",
        },
        headers=h,
    )
    assert r.status_code == 422
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields[:2] == ["template.body_params", "start_at"]
    listed = client.get("/api/v1/campaigns", headers=h).json()["items"]
    assert len(listed) == 2  # nothing else was created


def test_no_catalogue_keeps_free_text(client: TestClient, ctx: AppContext, keys: KeyMaker) -> None:
    h = keys.headers()
    unsynced = new_sender(ctx, waba_id="100000000000043")
    bare = new_sender(ctx)
    for sender in (unsynced, bare):
        r = _create(client, h, sender, "anything_at_all", "xx", ["a", "b", "c"])
        assert r.status_code == 201, r.text
        start = client.post(f"/api/v1/campaigns/{r.json()['id']}/start", headers=h)
        assert start.status_code == 200, start.text


def test_start_and_resume_recheck_the_template(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    sender = _synced_sender(ctx)
    created = _create(client, h, sender, "order_confirmation", "en_US", ["name", "order"])
    cid = created.json()["id"]
    running = _create(client, h, sender, "order_confirmation", "en_US", ["name", "order"])
    other = running.json()["id"]
    assert client.post(f"/api/v1/campaigns/{other}/start", headers=h).status_code == 200
    assert client.post(f"/api/v1/campaigns/{other}/pause", headers=h).status_code == 200
    # Meta rejects the template after the campaigns were created (the next sync reads it).
    rejected = next(dict(t) for t in SEED if t["name"] == "order_confirmation")
    with ctx.db.write() as session:
        ws = make_workspace(session, "default")
        items = [
            catalogue_item(
                dict(t),
                **(
                    {"status": "REJECTED", "rejected_reason": "INCORRECT_CATEGORY"}
                    if t["name"] == rejected["name"]
                    else {}
                ),
            )
            for t in SEED
        ]
        templates.apply_catalogue(session, ws, WABA, items, actor="sync", now=ctx.clock.now())
    for campaign, action, state in ((cid, "start", "NOT_STARTED"), (other, "resume", "PAUSED")):
        r = client.post(f"/api/v1/campaigns/{campaign}/{action}", headers=h)
        assert r.status_code == 422, r.text
        assert "is REJECTED, not sendable (Meta: INVALID_FORMAT)" not in r.json()["detail"]
        assert "is REJECTED, not sendable (Meta: INCORRECT_CATEGORY)" in r.json()["detail"]
        got = client.get(f"/api/v1/campaigns/{campaign}", headers=h).json()
        assert got["state"] == state


def test_a_scheduled_start_onto_a_stopped_template_pauses_with_the_reason(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    h = keys.headers()
    sender = _synced_sender(ctx)
    body = {
        "name": "later",
        "sender_id": sender,
        "template": {"name": "order_confirmation", "language": "en_US", "body_params": ["a", "b"]},
        "start_at": (ctx.clock.now() + timedelta(minutes=5)).isoformat(),
    }
    r = client.post("/api/v1/campaigns", json=body, headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    with ctx.db.write() as session:
        ws = make_workspace(session, "default")
        items = [
            catalogue_item(
                dict(t), **({"status": "DISABLED"} if t["name"] == "order_confirmation" else {})
            )
            for t in SEED
        ]
        templates.apply_catalogue(session, ws, WABA, items, actor="sync", now=ctx.clock.now())
    ctx.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    assert start_scheduled(ctx) == 1
    got = client.get(f"/api/v1/campaigns/{cid}", headers=h).json()
    assert (got["state"], got["paused_by"]) == ("PAUSED", "engine")
    assert got["pause_reason"] == "template 'order_confirmation' (en_US) is DISABLED, not sendable"
