"""Issue 12 item 13: a write is committed before the client hears it succeeded.

Three views of one rule, on SQLite and PostgreSQL:
- at the instant any response starts, no write transaction of the request is still open
  (watched on the engine: begin / commit / rollback of write connections);
- over a real uvicorn server, many rapid POST-then-GET pairs never see a 404;
- a commit that fails turns the answer into a 5xx, never a 201 for a write that was lost.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from relaybird.models import ApiKey
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle

# POST-then-GET pairs over the real server, half on a fresh connection, half on the kept one
# (the rule itself is checked deterministically by the first test; this one probes the race).
PAIRS = 100
TOKEN = "EAAG-token"


@pytest.fixture(autouse=True)
def provider(ctx: AppContext, simulator: SimHandle) -> None:
    """The simulator plays Meta: adding a sender reads its number with its token first."""
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    for n in range(PAIRS):
        simulator.add_number(sender_body(n)["phone_number_id"], TOKEN)


def sender_body(n: int) -> dict[str, Any]:
    return {
        "name": f"Line {n}",
        "phone_number_id": f"9{n:08d}",
        "display_phone_number": f"+1 555-01{n % 100:02d}",
        "access_token": TOKEN,
    }


def campaign_body(sender_id: int, n: int) -> dict[str, Any]:
    return {
        "name": f"Campaign {n}",
        "sender_id": sender_id,
        "template": {"name": "hello_world", "language": "en_US"},
    }


class OpenWrites:
    """Write transactions open on an engine right now (read-only ones are not counted)."""

    def __init__(self, ctx: AppContext) -> None:
        self.engine = ctx.db.engine
        self.lock = threading.Lock()
        self.open: set[int] = set()

    def _begin(self, conn: Any) -> None:
        if not conn.get_execution_options().get("relaybird_readonly", False):
            with self.lock:
                self.open.add(id(conn.connection))

    def _end(self, conn: Any) -> None:
        with self.lock:
            self.open.discard(id(conn.connection))

    def __enter__(self) -> OpenWrites:
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine, "commit", self._end)
        event.listen(self.engine, "rollback", self._end)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)

    def count(self) -> int:
        with self.lock:
            return len(self.open)


@pytest.fixture
def watched(ctx: AppContext) -> Iterator[tuple[TestClient, list[tuple[str, int, int]]]]:
    """A client whose every response start records (path, status, write transactions open)."""
    app = create_app(ctx)
    seen: list[tuple[str, int, int]] = []
    with OpenWrites(ctx) as writes:

        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def watch(message: Any) -> None:
                if message["type"] == "http.response.start":
                    seen.append((scope["path"], message["status"], writes.count()))
                await send(message)

            await app(scope, receive, watch)

        with TestClient(asgi) as client:
            yield client, seen


def test_no_write_transaction_is_open_when_an_answer_starts(
    watched: tuple[TestClient, list[tuple[str, int, int]]], keys: KeyMaker
) -> None:
    client, seen = watched
    admin = keys.headers("admin")
    sender = client.post("/api/v1/senders", json=sender_body(1), headers=admin)
    assert sender.status_code == 201, sender.text
    sid = sender.json()["id"]
    campaign = client.post("/api/v1/campaigns", json=campaign_body(sid, 1), headers=admin)
    assert campaign.status_code == 201, campaign.text
    cid = campaign.json()["id"]
    user = client.post(
        "/api/v1/users", json={"name": "Bea", "email": "bea@example.com"}, headers=admin
    )
    assert user.status_code == 201, user.text
    writes = [
        client.post("/api/v1/keys", json={"name": "ops", "role": "agent"}, headers=admin),
        client.post(f"/api/v1/campaigns/{cid}/end", headers=admin),
        client.post(
            "/api/v1/contacts",
            json={
                "network": "SMS_DIRECT",
                "phone": "+12025550100",
                "first_name": "Ana",
                "last_name": "Lima",
                "owner_user_id": user.json()["id"],
            },
            headers=admin,
        ),
    ]
    for r in writes:
        assert r.status_code in (200, 201), r.text
    answered = [(path, status) for path, status, open_writes in seen if open_writes]
    assert answered == [], f"answered while the write was not yet committed: {answered}"
    assert len(seen) == 3 + len(writes)


class Http:
    """A plain HTTP/1.1 connection (kept alive) to the live server."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)
        self.headers = {**headers, "content-type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def close(self) -> None:
        self.conn.close()


def test_read_after_write_over_a_real_server(live_server: LiveServer, keys: KeyMaker) -> None:
    """POST then GET at once, many times: the POST on a fresh connection or on the kept-alive
    one the GET uses (the GET can then start while the POST's request task still runs)."""
    admin = keys.headers("admin")
    misses: list[str] = []
    kept = Http(live_server.url, admin)
    try:
        for n in range(PAIRS):
            poster = kept if n % 2 else Http(live_server.url, admin)
            try:
                status, made = poster.call("POST", "/api/v1/senders", sender_body(n))
                assert status == 201, made
                sid = made["id"]
                if kept.call("GET", f"/api/v1/senders/{sid}")[0] != 200:
                    misses.append(f"sender {sid}")
                status, made = poster.call("POST", "/api/v1/campaigns", campaign_body(sid, n))
                assert status == 201, made
                if kept.call("GET", f"/api/v1/campaigns/{made['id']}")[0] != 200:
                    misses.append(f"campaign {made['id']}")
            finally:
                if poster is not kept:
                    poster.close()
    finally:
        kept.close()
    assert misses == []


def test_a_failed_commit_is_never_a_201(keys: KeyMaker, ctx: AppContext) -> None:
    """The database refuses the COMMIT (fault injected on the engine, as a full disk or a lost
    connection would): the client hears a 5xx and the key does not exist."""
    admin = keys.headers("admin")
    with ctx.db.read() as session:
        before = session.scalar(select(func.count()).select_from(ApiKey))

    def refuse(conn: Any) -> None:
        if not conn.get_execution_options().get("relaybird_readonly", False):
            raise OSError("disk full (injected)")

    client = TestClient(create_app(ctx), raise_server_exceptions=False)
    event.listen(ctx.db.engine, "commit", refuse)
    try:
        r = client.post("/api/v1/keys", json={"name": "lost", "role": "agent"}, headers=admin)
    finally:
        event.remove(ctx.db.engine, "commit", refuse)
    assert r.status_code >= 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == before
    again = client.post("/api/v1/keys", json={"name": "kept", "role": "agent"}, headers=admin)
    assert again.status_code == 201, again.text
