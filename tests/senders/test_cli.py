"""`relaybird senders add|list|show|sync` as an operator runs them (sync against the simulator)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from tests.factories import KeyMaker
from tests.fixtures.simulator import SimHandle

runner = CliRunner()
TOKEN = "EAAG-cli-secret"


@pytest.fixture
def env(ctx: AppContext, simulator: SimHandle, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("RELAYBIRD_GRAPH_API_URL", simulator.url)
    return ctx


def test_add_list_show_sync(env: AppContext, simulator: SimHandle) -> None:
    added = runner.invoke(
        app,
        [
            "senders",
            "add",
            "--name",
            "Support",
            "--phone-number-id",
            "400100",
            "--display-phone-number",
            "+1 555 040 0100",
            "--waba-id",
            "waba-cli",
        ],
        input=TOKEN + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "added sender 1 (PENDING)" in added.output and TOKEN not in added.output

    listed = runner.invoke(app, ["senders", "list"])
    assert listed.exit_code == 0 and "Support" in listed.output and "PENDING" in listed.output

    simulator.add_number("400100", TOKEN)
    synced = runner.invoke(app, ["senders", "sync", "1"])
    assert synced.exit_code == 0, synced.output
    assert "CONNECTED" in synced.output and "TIER_1K" in synced.output

    shown = runner.invoke(app, ["senders", "show", "1"])
    assert shown.exit_code == 0, shown.output
    for text in ("usage (24 h)", "0 / 1,000", "registered", "added", "next tier TIER_10K"):
        assert text in shown.output
    assert TOKEN not in shown.output


def test_unknown_sender_is_one_red_line(env: AppContext, keys: KeyMaker) -> None:
    keys.workspace_id()
    result = runner.invoke(app, ["senders", "show", "99"])
    assert result.exit_code == 1 and "sender 99 not found" in result.output
