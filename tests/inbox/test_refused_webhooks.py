"""A refused webhook is never silent: logged (one line per door and reason a minute), counted per
minute in the database, shown by `relaybird status`, the dashboard and /metrics; `serve` warns
at start when a door has no secret; the simulator says which secret it signs with."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from relaybird.app.factory import create_app
from relaybird.auth.roles import Role
from relaybird.cli.simulator import DEFAULT_SECRET, signing_note
from relaybird.context import AppContext
from relaybird.db.session import Database
from relaybird.inbox import refusals
from relaybird.kit.time import ManualClock
from relaybird.operations import metrics
from relaybird.operations import service as ops
from relaybird.providers.whatsapp import signature
from tests.conftest import make_settings
from tests.dashboard.helpers import logged_in

runner = CliRunner()
BODY = b'{"object":"whatsapp_business_account","entry":[]}'
WRONG = {signature.HEADER: signature.sign(BODY, "not-the-secret")}


def _recent(ctx: AppContext) -> refusals.RecentRefusals:
    refusals.refusals(ctx).write()  # what the next refusal after 5 s (or shutdown) does
    with ctx.db.read() as session:
        return refusals.recent(session, ctx.clock.now())


def test_wrong_and_missing_signatures_are_counted_with_their_reason(
    ctx: AppContext, client: TestClient
) -> None:
    for headers in (WRONG, WRONG, {}):
        assert client.post("/webhooks/whatsapp", content=BODY, headers=headers).status_code == 401
    direct = client.post("/webhooks/direct", content=b"{}", headers={})
    assert direct.status_code == 401
    seen = _recent(ctx)
    assert seen.count == 4
    assert seen.last_door == "direct"
    assert seen.last_reason is not None and "X-Relaybird-Signature" in seen.last_reason
    with ctx.db.read() as session:
        per_door = refusals.by_door(session, ctx.clock.now())
    assert per_door == {"whatsapp": 3, "direct": 1}
    # A correctly signed body is not a refusal.
    good = {signature.HEADER: signature.sign(BODY, "test-app-secret")}
    assert client.post("/webhooks/whatsapp", content=BODY, headers=good).status_code == 200
    assert _recent(ctx).count == 4


def test_no_secret_set_is_its_own_reason_and_serve_warns_at_start(
    db_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(db_url, whatsapp_app_secret="")
    ctx = AppContext(settings=settings, db=Database(db_url), clock=clock)
    caplog.set_level(logging.WARNING, logger="relaybird")
    try:
        with TestClient(create_app(ctx)) as client:
            signed = {signature.HEADER: signature.sign(BODY, DEFAULT_SECRET)}
            answer = client.post("/webhooks/whatsapp", content=BODY, headers=signed)
            assert answer.status_code == 401
            assert "RELAYBIRD_WHATSAPP_APP_SECRET is not set" in answer.json()["detail"]
        # Closing the app wrote what was pending.
        with ctx.db.read() as session:
            seen = refusals.recent(session, clock.now())
        assert seen.count == 1
        assert seen.last_reason is not None and "is not set" in seen.last_reason
    finally:
        ctx.db.dispose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "RELAYBIRD_WHATSAPP_APP_SECRET is not set" in w and "/webhooks/whatsapp" in w
        for w in warnings
    )
    assert any("webhook refused at /webhooks/whatsapp" in w for w in warnings)


def test_the_log_says_it_once_a_minute_with_the_count(
    ctx: AppContext, client: TestClient, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="relaybird.webhooks")
    for _ in range(10):
        client.post("/webhooks/whatsapp", content=BODY, headers=WRONG)
    lines = [r.getMessage() for r in caplog.records if r.name == "relaybird.webhooks"]
    assert lines == [
        "webhook refused at /webhooks/whatsapp: missing or invalid X-Hub-Signature-256"
    ]
    clock.advance(timedelta(seconds=61))
    client.post("/webhooks/whatsapp", content=BODY, headers=WRONG)
    lines = [r.getMessage() for r in caplog.records if r.name == "relaybird.webhooks"]
    assert lines[-1].endswith("(10 since the last line)")
    assert BODY.decode() not in " ".join(lines)


def _status() -> str:
    """`relaybird status`, leaving the test's log handlers as they were (the command sets the
    root logger's handlers: caplog's would be gone)."""
    from relaybird.cli.main import app

    root = logging.getLogger()
    handlers = root.handlers[:]
    try:
        result = runner.invoke(app, ["status"])
    finally:
        root.handlers[:] = handlers
    assert result.exit_code == 0, result.output
    return result.output


def test_status_dashboard_and_metrics_show_them(
    ctx: AppContext, client: TestClient, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(datetime.now(UTC))  # `relaybird status` reads the wall clock
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("COLUMNS", "200")
    quiet = _status()
    assert "webhooks refused in the last hour: 0" in quiet
    logged_in(client, ctx, "ana@example.com", Role.ADMIN)
    assert 'id="webhooks-refused"' not in client.get("/ui/campaigns").text

    for _ in range(3):
        client.post("/webhooks/whatsapp", content=BODY, headers=WRONG)
    _recent(ctx)
    loud = _status()
    assert "webhooks refused in the last hour: 3, last: /webhooks/whatsapp" in loud
    for page in ("/ui/campaigns", "/ui/senders"):
        html = client.get(page).text
        assert 'id="webhooks-refused"' in html and "<b>3</b>" in html
    with ctx.db.read() as session:
        exposition = metrics.render(ops.snapshot(session, ctx.clock.now())).decode()
    assert 'relaybird_webhooks_refused_last_hour{door="whatsapp"} 3.0' in exposition
    assert 'relaybird_webhooks_refused_last_hour{door="direct"} 0.0' in exposition


def test_an_hour_later_they_are_no_longer_recent(
    ctx: AppContext, client: TestClient, clock: ManualClock
) -> None:
    client.post("/webhooks/whatsapp", content=BODY, headers=WRONG)
    assert _recent(ctx).count == 1
    clock.advance(timedelta(minutes=62))
    assert _recent(ctx).count == 0


def test_the_simulator_names_the_secret_it_signs_with() -> None:
    assert f"RELAYBIRD_WHATSAPP_APP_SECRET={DEFAULT_SECRET}" in signing_note(None, "")
    from_env = signing_note(None, "s3cr3t-from-env")
    assert "RELAYBIRD_WHATSAPP_APP_SECRET" in from_env and "s3cr3t" not in from_env
    given = signing_note("my-own-secret", "")
    assert "--app-secret" in given and "my-own-secret" not in given
