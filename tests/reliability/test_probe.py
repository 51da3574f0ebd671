"""The probe (issue 11): oversized, chunked, deeply nested and non-ASCII requests to every route of
the app, without a key, against a real `relaybird api` process on loopback. Each gets the answer
its door promises (401 / the login redirect / 413 / a 4xx) and never a 5xx; and the server's
memory stays bounded while 300 MB bodies are thrown at it (its peak resident set, read from
/proc, grows by less than ``MEMORY_BOUND`` — a bound, not a timing)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import iter_route_contexts

from relaybird.app.doors import Door, door_of, webhook_limit
from relaybird.app.factory import create_app
from relaybird.config import Settings
from relaybird.context import AppContext
from tests.reliability.process import ADMIN_KEY, ApiProcess, start_api
from tests.reliability.rawhttp import CHUNK, Reply, filler, request

HUGE = 300 * 1024 * 1024
MEMORY_BOUND = 64 * 1024 * 1024
DEPTH = 25_000  # far past the JSON parser's depth; 50 KB, under every cap
NESTED = b"[" * DEPTH + b"]" * DEPTH
NON_ASCII = "é ü \u00ff".encode()  # as a client sends them: UTF-8 bytes
MULTIPART = b"multipart/form-data; boundary=probe"


def routes() -> list[tuple[str, str]]:
    """(method, concrete path) for every route of the app, path parameters filled in."""
    app = create_app(AppContext.from_settings(Settings(database_url="sqlite://")))
    found = set()
    for route in iter_route_contexts(app.routes):
        if not route.path or not route.methods:
            continue
        path = route.path.replace("{action}", "start")
        path = re.sub(r"\{[^}]+\}", "1", path)
        for method in route.methods - {"HEAD"}:
            found.add((method, path))
    return sorted(found)


ROUTES = routes()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    # Uploads with a key are capped at 8 MiB here (110 MiB by default) to spare the disk.
    process = start_api(tmp_path_factory.mktemp("probe"), RELAYBIRD_MAX_UPLOAD="8MiB")
    yield process
    process.stop()


def _kind(path: str) -> bytes:
    if path.endswith("/recipients") or path == "/ui/campaigns":
        return MULTIPART
    if path.startswith("/ui/"):
        return b"application/x-www-form-urlencoded"
    return b"application/json"


def _cap(path: str) -> int:
    if door_of(path) is Door.WEBHOOK:
        return webhook_limit(path)
    return int(Settings().max_body)


def _refused(method: str, path: str, reply: Reply, *, webhook: int) -> str | None:
    """What is wrong with ``reply`` to a keyless request with a body (None: nothing). A webhook's
    GET (Meta's handshake) reads no body: any 4xx of its own is right there; a connector's
    webhook (/webhooks/<provider>/<id>) answers 404 for a connector that does not exist."""
    door = door_of(path)
    if method == "GET" and door is Door.WEBHOOK and reply.status in (403, 413):
        return None
    connector = door is Door.WEBHOOK and path.count("/") == 3
    if connector and reply.status == 404:
        return None
    if reply.status is None:
        return "no answer"
    if reply.status >= 500:
        return f"{reply.status} {reply.body[:200]!r}"
    if door is Door.API_KEY and reply.status != 401:
        return f"{reply.status}, not 401"
    if door is Door.SESSION and (
        reply.status != 303 or not reply.headers.get("location", "").startswith("/ui/login")
    ):
        return f"{reply.status}, not the login redirect"
    if door is Door.WEBHOOK and reply.status != webhook:
        return f"{reply.status}, not {webhook}"
    return None


def test_the_probe_walks_every_kind_of_route() -> None:
    doors = {door_of(path) for _, path in ROUTES}
    assert doors == set(Door)
    assert len(ROUTES) > 80


@pytest.mark.slow
def test_oversized_chunked_nested_and_non_ascii_bodies_to_every_route(api: ApiProcess) -> None:
    failures: list[str] = []
    for method, path in ROUTES:
        door = door_of(path)
        cap = _cap(path)
        # A declared 300 MB: refused before a byte is read (the client waits for 100 Continue,
        # which never comes).
        huge = request(
            api.port,
            method,
            path,
            headers={"Content-Type": b"application/json"},
            declared=HUGE,
            body=filler(HUGE),
            expect_continue=True,
        )
        problem = _refused(method, path, huge, webhook=413)
        if problem is None and door is Door.PUBLIC and huge.status != 413:
            problem = f"{huge.status}, not 413"
        if problem is None and huge.sent:
            problem = f"read {huge.sent} bytes of a body it refused"
        if problem:
            failures.append(f"{method} {path} declared 300 MB: {problem}")

        # Chunked, no length: counted as it streams, cut off at the cap.
        streamed = request(
            api.port,
            method,
            path,
            headers={"Content-Type": _kind(path)},
            chunked=True,
            body=filler(cap + 8 * CHUNK),
            expect_continue=True,
        )
        problem = _refused(method, path, streamed, webhook=413)
        # A public route that reads its body (the login form) stops at the cap; one that never
        # reads it answers as it would without one (the memory test shows what that costs).
        reads = (method, path) == ("POST", "/ui/login")
        if problem is None and reads and streamed.status != 413:
            problem = f"{streamed.status}, not 413"
        if problem:
            failures.append(f"{method} {path} chunked: {problem}")

        # Nested past the JSON parser's depth.
        nested = request(
            api.port,
            method,
            path,
            headers={"Content-Type": b"application/json"},
            declared=len(NESTED),
            body=[NESTED],
        )
        problem = _refused(method, path, nested, webhook=401)
        if problem:
            failures.append(f"{method} {path} nested: {problem}")

        # Non-ASCII bytes in every credential a door reads.
        hostile = {
            "Content-Type": b"application/x-www-form-urlencoded",
            "Authorization": b"Bearer " + NON_ASCII,
            "Cookie": b"relaybird_session=" + NON_ASCII + b"; relaybird_login_csrf=" + NON_ASCII,
            "X-Hub-Signature-256": b"sha256=" + NON_ASCII,
            "X-Relaybird-Signature": b"sha256=" + NON_ASCII,
        }
        form = b"csrf=%C3%A9&email=a%40b.c&password=x&workspace=default&name=x"
        for body in ([form], []):
            reply = request(
                api.port, method, path, headers=hostile, declared=len(b"".join(body)), body=body
            )
            problem = _refused(method, path, reply, webhook=401) if body else None
            if reply.status is None or reply.status >= 500:
                problem = f"{reply.status} {reply.body[:200]!r}"
            if problem:
                failures.append(f"{method} {path} non-ASCII: {problem}")
    assert api.alive()
    assert failures == [], "\n".join(failures)


@pytest.mark.slow
def test_memory_stays_bounded_under_300_mb_bodies(api: ApiProcess) -> None:
    request(api.port, "GET", "/healthz")
    baseline = api.status_kib("VmRSS") * 1024
    key = b"Bearer " + ADMIN_KEY.encode()
    multipart = b"--probe\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\n"
    floods = [
        # (what, method, path, headers, chunked)
        ("JSON without a key", "/api/v1/contacts", {"Content-Type": b"application/json"}, False),
        ("chunked webhook", "/webhooks/direct", {"Content-Type": b"application/json"}, True),
        (
            "upload without a key",
            "/api/v1/campaigns/1/recipients",
            {"Content-Type": MULTIPART},
            False,
        ),
        ("dashboard upload without a session", "/ui/campaigns", {"Content-Type": MULTIPART}, True),
        (
            "chunked WhatsApp webhook",
            "/webhooks/whatsapp",
            {"Content-Type": b"application/json"},
            True,
        ),
        (
            "chunked JSON with a key",
            "/api/v1/contacts",
            {"Content-Type": b"application/json", "Authorization": key},
            True,
        ),
        (
            "chunked upload with a key",
            "/api/v1/campaigns/1/recipients",
            {"Content-Type": MULTIPART, "Authorization": key},
            True,
        ),
    ]
    answers = {}
    for what, path, headers, chunked in floods:
        body = [multipart, *filler(HUGE)] if headers["Content-Type"] == MULTIPART else filler(HUGE)
        reply = request(
            api.port,
            "POST",
            path,
            headers=headers,
            body=body,
            declared=None if chunked else HUGE,
            chunked=chunked,
        )
        answers[what] = reply.status
        assert reply.sent < HUGE, f"{what}: the server took the whole 300 MB"
    peak = api.status_kib("VmHWM") * 1024
    assert api.alive()
    assert answers == {
        "JSON without a key": 401,
        "chunked webhook": 413,
        "upload without a key": 401,
        "dashboard upload without a session": 303,
        "chunked WhatsApp webhook": 413,
        "chunked JSON with a key": 413,
        "chunked upload with a key": 413,
    }
    assert peak - baseline < MEMORY_BOUND, f"peak RSS grew by {(peak - baseline) >> 20} MiB"
