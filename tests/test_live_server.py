from __future__ import annotations

import json
import urllib.request

from tests.fixtures.live_server import LiveServer


def test_live_server_answers_over_real_http(live_server: LiveServer) -> None:
    with urllib.request.urlopen(live_server.url + "/healthz", timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "ok"
    assert body["database"] == live_server.ctx.db.dialect
