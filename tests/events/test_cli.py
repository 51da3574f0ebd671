from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from tests.events.receiver import Receiver
from tests.events.test_deliverer import _emit, _run, _subscribe
from tests.factories import KeyMaker

# The receivers listen on 127.0.0.1: allowed explicitly (RELAYBIRD_EVENT_PRIVATE_NETWORKS).
pytestmark = pytest.mark.usefixtures("allow_loopback_receivers")


def test_replay_and_delivery_log_from_the_shell(
    ctx: AppContext,
    client: TestClient,
    keys: KeyMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = Receiver().start()
    try:
        sub = _subscribe(client, keys.headers("admin"), receiver.url)
        _emit(ctx, keys.workspace_id(), "campaign.state_changed", 1)
        assert _run(ctx, None) == [{"DELIVERED": 1}]
        monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
        runner = CliRunner()
        result = runner.invoke(app, ["events", "replay", str(sub["id"]), "--status", "delivered"])
        assert result.exit_code == 0, result.output
        assert "1 events queued again" in result.output
        result = runner.invoke(app, ["events", "deliveries", str(sub["id"])])
        assert result.exit_code == 0, result.output
        assert "DELIVERED" in result.output and "PENDING" in result.output
        # The CLI queued it at wall-clock time; the test's manual clock is behind that.
        assert _run(ctx, timedelta(days=3650)) == [{"DELIVERED": 1}]
        assert len(receiver.delivered) == 2
        result = runner.invoke(app, ["events", "replay", "999"])
        assert result.exit_code == 1 and "not found" in result.output
        result = runner.invoke(app, ["events", "prune", "--older-than", "soon"])
        assert result.exit_code == 1
    finally:
        receiver.stop()
