"""/docs and /redoc work offline: every script, stylesheet and icon they reference is served by
us, and nothing they load at run time goes to another host (a real Chromium, every request to
another origin refused and recorded)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from relaybird.context import AppContext
from tests.dashboard.browser import browser  # noqa: F401  (the Chromium fixture)
from tests.fixtures.live_server import LiveServer, start_live_server

REFERENCE = re.compile(r"""(?:src|href|spec-url|data-openapi-url)="([^"]+)\"""")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_pages_reference_only_our_origin(sqlite_ctx: AppContext, path: str) -> None:
    from relaybird.app.factory import create_app

    with TestClient(create_app(sqlite_ctx)) as client:
        page = client.get(path)
        assert page.status_code == 200
        assert "<script>" not in page.text  # no inline script: a CSP of 'self' lets it run
        refs = REFERENCE.findall(page.text)
        assert refs, page.text
        for ref in refs:
            assert ref.startswith("/") and not ref.startswith("//"), ref
            asset = client.get(ref)
            assert asset.status_code == 200, ref
            assert len(asset.content) > 100, ref
        assert not re.search(r"https?://", page.text), page.text
        init = client.get("/docs-assets/swagger-init.js").text
        assert "validatorUrl: null" in init


@pytest.fixture
def server(sqlite_ctx: AppContext) -> Iterator[LiveServer]:
    live = start_live_server(sqlite_ctx)
    yield live
    live.stop()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "rendered"),
    [("/docs", ".opblock-tag"), ("/redoc", "[data-section-id^='tag/']")],
)
def test_docs_render_with_every_other_host_blocked(
    browser: object,  # noqa: F811
    server: LiveServer,
    path: str,
    rendered: str,
) -> None:
    ours = urlsplit(server.url).netloc
    elsewhere: list[str] = []
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    blocked: list[str] = []  # what the Content-Security-Policy refused of our own page

    def console(m: object) -> None:
        text = m.text  # type: ignore[attr-defined]
        foreign = [u for u in re.findall(r"https?://[^'\s\"]+", text) if urlsplit(u).netloc != ours]
        if "Content Security Policy" in text and not foreign:  # others' assets stay blocked
            blocked.append(text)

    page.on("console", console)  # type: ignore[attr-defined]

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if urlsplit(url).netloc == ours or url.startswith("data:"):
            r.continue_()  # type: ignore[attr-defined]
        else:
            elsewhere.append(url)
            r.abort()  # type: ignore[attr-defined]

    page.route("**/*", route)
    page.goto(server.url + path, timeout=90_000)  # a bound for a loaded machine
    page.wait_for_selector(rendered, timeout=90_000)  # a bound for a loaded machine
    assert "Campaigns" in page.content() or "campaigns" in page.content()
    assert elsewhere == []
    assert blocked == []
    context.close()
