"""The API skeleton: health, OpenAPI, problem+json for every failure, cursor pagination."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.errors import InvalidInput
from relaybird.kit.pagination import decode_cursor, encode_cursor, paginate
from relaybird.models import ApiKey
from tests.factories import KeyMaker


def test_healthz(client: TestClient, ctx: AppContext) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"] == ctx.db.dialect


def test_openapi_lists_the_endpoints_with_descriptions(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/keys" in spec["paths"]
    assert "/healthz" in spec["paths"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary") or op.get("description"), f"{method.upper()} {path}"
    assert "Problem" in spec["components"]["schemas"]


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    r = client.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    r = client.put("/healthz")
    assert r.status_code == 405
    assert r.json()["code"] == "method_not_allowed"


def test_validation_errors_are_problems(client: TestClient, keys: KeyMaker) -> None:
    r = client.post("/api/v1/keys", json={"name": "", "role": "wizard"}, headers=keys.headers())
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_input"
    assert {tuple(e["loc"]) for e in body["errors"]} >= {("body", "role"), ("body", "name")}
    r = client.post(
        "/api/v1/keys",
        content=b"{not json",
        headers={**keys.headers(), "content-type": "application/json"},
    )
    assert r.status_code == 422
    r = client.delete("/api/v1/keys/not-a-number", headers=keys.headers())
    assert r.status_code == 422


def test_cursor_round_trip_and_garbage() -> None:
    assert decode_cursor(encode_cursor(12345)) == 12345
    for bad in ("", "!!!", "eDox", encode_cursor(1)[:-2] + "@@"):
        with pytest.raises(InvalidInput):
            decode_cursor(bad)


def test_paginate_walks_every_row_once(ctx: AppContext, keys: KeyMaker) -> None:
    for _ in range(7):
        keys.create("viewer")
    from sqlalchemy import select

    seen: list[int] = []
    cursor = None
    with ctx.db.read() as s:
        while True:
            page = paginate(s, select(ApiKey), ApiKey.id, cursor=cursor, limit=3)
            seen.extend(k.id for k in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        with pytest.raises(InvalidInput):
            paginate(s, select(ApiKey), ApiKey.id, cursor=None, limit=0)
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 7
