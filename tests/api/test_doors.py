"""The door (app/doors.py): no body is read before the caller is authenticated, every body is
capped as it streams, and every answer carries the security headers.

Driven at the ASGI level so the test sees exactly how many body chunks the server pulled."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import relaybird.dashboard
from relaybird.app.doors import Door, door_of
from relaybird.app.factory import create_app
from relaybird.context import AppContext
from relaybird.inbox import refusals
from tests.conftest import make_settings
from tests.dashboard.helpers import logged_in
from tests.factories import KeyMaker

CHUNK = 64 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    chunks_read: int
    chunks_sent: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    app: Any,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    chunks: int = 0,
    chunk: bytes = b"x" * CHUNK,
    declare_length: bool = True,
    query: str = "",
    head: bytes = b"",
) -> Answer:
    """One request straight into the ASGI app; the body is ``chunks`` pieces of ``chunk``."""
    raw = [(k.lower().encode(), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if chunks:
        if declare_length:
            raw.append((b"content-length", str(chunks * len(chunk)).encode()))
        else:
            raw.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": raw,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    read = 0
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < chunks:
            read += 1
            piece = head + chunk[len(head) :] if read == 1 else chunk
            return {"type": "http.request", "body": piece, "more_body": read < chunks}
        if chunks == 0 and read == 0:
            read = -1  # marks "asked once for an empty body"; reported as 0 chunks
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    async def run() -> None:
        await asyncio.wait_for(app(scope, receive, send), 30)

    asyncio.run(run())
    return Answer(out["status"], out["headers"], out["body"], max(read, 0), chunks)


def _multipart_head(boundary: str = "b0undary") -> dict[str, str]:
    return {"content-type": f"multipart/form-data; boundary={boundary}"}


# The start of a valid multipart body: one file part whose content the chunks go on with.
FILE_PART = (
    b"--b0undary\r\n"
    b'Content-Disposition: form-data; name="file"; filename="list.csv"\r\n'
    b"Content-Type: text/csv\r\n\r\nphone\n"
)


# --- item 1: authenticate before any body ---------------------------------------------------


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/contacts", {"content-type": "application/json"}),
        ("/api/v1/campaigns/1/recipients", _multipart_head()),
        ("/api/v1/senders/1/media", _multipart_head()),
    ],
)
def test_an_api_body_without_a_key_is_refused_before_a_byte_is_read(
    sqlite_ctx: AppContext, path: str, headers: dict[str, str], declare_length: bool
) -> None:
    app = create_app(sqlite_ctx)
    for auth in ({}, {"authorization": "Bearer rbk_not-a-key"}, {"authorization": "Basic eA=="}):
        got = call(
            app, "POST", path, headers={**headers, **auth}, chunks=40, declare_length=declare_length
        )
        assert got.status == 401, got.body
        assert got.json()["code"] == "unauthorized"
        assert got.chunks_read == 0
        assert got.headers["connection"] == "close"


def test_a_dashboard_upload_without_a_session_goes_to_the_login_before_a_byte_is_read(
    sqlite_ctx: AppContext,
) -> None:
    app = create_app(sqlite_ctx)
    for cookie in ({}, {"cookie": "relaybird_session=forged.value.sig"}):
        got = call(app, "POST", "/ui/campaigns", headers={**_multipart_head(), **cookie}, chunks=40)
        assert got.status == 303
        assert got.headers["location"] == "/ui/login?next=/ui/campaigns"
        assert got.chunks_read == 0


def test_a_key_lets_the_body_through_to_the_route(sqlite_ctx: AppContext) -> None:
    app = create_app(sqlite_ctx)
    key = KeyMaker(sqlite_ctx).create("admin")
    body = json.dumps({"name": "x"}).encode()
    got = call(
        app,
        "POST",
        "/api/v1/rooms",
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        chunks=1,
        chunk=body,
    )
    assert got.chunks_read == 1
    assert got.status in (201, 422), got.body  # the route answered, not the door


# --- item 1: every body capped as it streams -------------------------------------------------


def test_a_chunked_webhook_body_is_cut_off_at_the_cap(sqlite_ctx: AppContext) -> None:
    app = create_app(sqlite_ctx)
    for path, cap in (("/webhooks/direct", 64 * 1024), ("/webhooks/whatsapp", 3 << 20)):
        chunks = cap // CHUNK + 50
        got = call(
            app,
            "POST",
            path,
            headers={"content-type": "application/json"},
            chunks=chunks,
            declare_length=False,
        )
        assert got.status == 413, (path, got.body)
        assert got.json()["code"] == "payload_too_large"
        assert got.json()["limit"] == cap
        assert got.chunks_read == cap // CHUNK + 1  # not one chunk more than it takes to know
        assert got.headers["connection"] == "close"
    # Counted like every other refused webhook (relaybird status, the dashboard, /metrics).
    refusals.refusals(sqlite_ctx).write()
    with sqlite_ctx.db.read() as session:
        seen = refusals.recent(session, sqlite_ctx.clock.now())
    assert (seen.count, seen.last_door) == (2, "whatsapp")


def test_a_declared_length_over_the_cap_is_refused_unread(sqlite_ctx: AppContext) -> None:
    app = create_app(sqlite_ctx)
    got = call(app, "POST", "/webhooks/whatsapp", chunks=(3 << 20) // CHUNK + 1)
    assert (got.status, got.chunks_read) == (413, 0)


def test_json_and_upload_caps_come_from_the_settings(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, max_body="128KiB", max_upload="1MiB")
    ctx = AppContext.from_settings(settings)
    app = create_app(ctx)
    auth = {"authorization": f"Bearer {KeyMaker(ctx).create('admin')}"}
    json_head = {**auth, "content-type": "application/json"}

    declared = call(app, "POST", "/api/v1/contacts", headers=json_head, chunks=3)
    assert (declared.status, declared.chunks_read) == (413, 0)
    assert declared.json()["limit"] == 128 * 1024
    assert "128 KiB" in declared.json()["detail"]

    streamed = call(
        app, "POST", "/api/v1/contacts", headers=json_head, chunks=30, declare_length=False
    )
    assert (streamed.status, streamed.chunks_read) == (413, 3)

    upload_head = {**auth, **_multipart_head()}
    upload = call(
        app,
        "POST",
        "/api/v1/campaigns/1/recipients",
        headers=upload_head,
        chunks=100,
        declare_length=False,
        head=FILE_PART,
    )
    assert (upload.status, upload.chunks_read) == (413, 17)
    assert upload.json()["limit"] == 1 << 20
    ctx.db.dispose()


def test_a_dashboard_upload_over_the_cap_gets_a_page(sqlite_url: str) -> None:
    """A person at the dashboard sees a page naming the limit, not problem+json."""
    ctx = AppContext.from_settings(make_settings(sqlite_url, max_upload="1MiB"))
    app = create_app(ctx)
    with TestClient(app) as client:
        logged_in(client, ctx, "ada@example.com")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    got = call(
        app,
        "POST",
        "/ui/campaigns",
        headers={"cookie": cookie, **_multipart_head()},
        chunks=100,
        declare_length=False,
        head=FILE_PART,
    )
    assert (got.status, got.chunks_read) == (413, 17)
    assert got.headers["content-type"].startswith("text/html")
    assert "1 MiB" in got.body.decode()
    ctx.db.dispose()


def test_every_path_has_its_door(sqlite_ctx: AppContext) -> None:
    """Every operation that needs a key is behind the key door; the others are not."""
    schema = create_app(sqlite_ctx).openapi()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            keyed = any("HTTPBearer" in s for s in operation.get("security", []))
            assert (door_of(path) is Door.API_KEY) == keyed, path
    assert door_of("/ui/campaigns") is Door.SESSION
    assert door_of("/ui/login") is Door.PUBLIC
    assert door_of("/ui/static/style.css") is Door.PUBLIC
    assert door_of("/webhooks/whatsapp") is Door.WEBHOOK


# --- item 10: security headers on every answer ------------------------------------------------

SECURITY = ("content-security-policy", "x-frame-options", "x-content-type-options")


def test_every_answer_carries_the_security_headers(sqlite_ctx: AppContext) -> None:
    app = create_app(sqlite_ctx)
    answers = [
        call(app, "GET", "/healthz"),
        call(app, "GET", "/api/v1/me"),  # 401 from the route
        call(app, "GET", "/nowhere"),  # 404
        call(app, "GET", "/ui/login"),
        call(app, "GET", "/ui/campaigns"),  # the login redirect
        call(app, "GET", "/docs"),
        call(app, "GET", "/openapi.json"),
        call(app, "POST", "/api/v1/contacts", chunks=2),  # refused by the door
        call(app, "POST", "/webhooks/whatsapp", chunks=60, declare_length=False),  # 413
    ]
    for got in answers:
        assert all(name in got.headers for name in SECURITY), got.headers
        csp = got.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
        assert got.headers["x-frame-options"] == "DENY"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in got.headers  # public URL is http here


def test_hsts_when_the_public_url_is_https(sqlite_url: str) -> None:
    ctx = AppContext.from_settings(make_settings(sqlite_url, public_url="https://rb.example.com"))
    got = call(create_app(ctx), "GET", "/healthz")
    assert got.headers["strict-transport-security"] == "max-age=31536000"
    ctx.db.dispose()


def test_no_dashboard_page_has_an_inline_script() -> None:
    """The CSP refuses inline scripts and handlers: the templates must have none."""
    for page in (Path(relaybird.dashboard.__file__).parent / "templates").glob("*.html"):
        html = page.read_text()
        assert "<script>" not in html, page.name
        assert not re.search(r"<[^>]*\son[a-z]+=", html), page.name  # onsubmit=, onclick=


def test_a_caller_gone_before_its_body_is_read_is_no_server_error(
    sqlite_ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A carrier's webhook client that times out on a loaded server hangs up mid-body: nobody is
    left to answer, nothing was read, so nothing is stored, and it is no "Exception in ASGI
    application" (the LINE live test met it under load)."""
    app = create_app(sqlite_ctx)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks/whatsapp",
        "raw_path": b"/webhooks/whatsapp",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-length", b"1000"), (b"x-hub-signature-256", b"sha256=00")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    messages = iter(
        [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO):
        asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    assert sent == []
    assert "went away before its body was read" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_webhook_doors_and_health_are_matched_before_the_api_and_dashboard(
    ctx: AppContext,
) -> None:
    """FastAPI tries an app's routers in order: the doors Meta and the providers post to by the
    thousand a second (and /healthz) come before the API's and the dashboard's routes, so a
    webhook does not pay for matching every other route first."""
    from relaybird.wiring import api_routers, door_routers, root_routers

    app = create_app(ctx)
    order = [getattr(r, "original_router", None) for r in app.routes]
    doors = [order.index(r) for r in door_routers()]
    others = [order.index(r) for r in api_routers() + root_routers()]
    assert max(doors) < min(others)
    paths = {route.path for router in door_routers() for route in router.routes}  # type: ignore[attr-defined]
    assert {"/webhooks/whatsapp", "/healthz"} <= paths
