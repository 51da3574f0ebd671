"""`relaybird templates sync|list|show|rates` as an operator runs them (against the simulator)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from relaybird.simulator.template_seed import SEED
from tests.fixtures.simulator import SimHandle

runner = CliRunner()
TOKEN = "EAAG-cli-templates"


@pytest.fixture
def env(ctx: AppContext, simulator: SimHandle, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("RELAYBIRD_GRAPH_API_URL", simulator.url)
    monkeypatch.setenv("COLUMNS", "200")
    return ctx


def test_sync_list_show(env: AppContext, simulator: SimHandle) -> None:
    simulator.add_number("400200", TOKEN, waba_id="waba-cli")
    simulator.configure(template_page_max=10)
    added = runner.invoke(
        app,
        [
            "senders",
            "add",
            "--name",
            "Marketing",
            "--phone-number-id",
            "400200",
            "--display-phone-number",
            "+1 555 040 0200",
            "--waba-id",
            "waba-cli",
        ],
        input=TOKEN + "\n",
    )
    assert added.exit_code == 0, added.output
    synced = runner.invoke(app, ["templates", "sync", "1"])
    assert synced.exit_code == 0, synced.output
    assert f"{len(SEED)} templates listed; {len(SEED)} new" in synced.output

    listed = runner.invoke(app, ["templates", "list", "--sender", "1", "--status", "PAUSED"])
    assert listed.exit_code == 0, listed.output
    assert "weekend_flash_sale" in listed.output and "summer_promo" not in listed.output
    everything = runner.invoke(app, ["templates", "list"])
    assert all(t["name"] in everything.output for t in SEED)

    summer = next(i + 1 for i, t in enumerate(SEED) if t["name"] == "summer_promo")
    shown = runner.invoke(app, ["templates", "show", str(summer)])
    assert shown.exit_code == 0, shown.output
    for text in (
        "summer_promo",
        "APPROVED",
        "header.image",
        "body.1 (e.g. 'Ana')",
        "buttons[0] URL Shop now → sub_type url (required)",
        "synced",
    ):
        assert text in shown.output, text
    assert TOKEN not in shown.output

    missing = runner.invoke(app, ["templates", "show", "9999"])
    assert missing.exit_code == 1 and "template 9999 not found" in missing.output


def test_rates_shows_the_card_or_why_it_is_broken(
    env: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = runner.invoke(app, ["templates", "rates"])
    assert shown.exit_code == 0, shown.output
    assert "effective 2025-07-01" in shown.output and "Rest of Asia Pacific" in shown.output
    assert "0.0732" in shown.output
    broken = tmp_path / "rates.json"
    broken.write_text('{"currency": "USD"}')
    monkeypatch.setenv("RELAYBIRD_TEMPLATE_RATE_CARD", str(broken))
    failed = runner.invoke(app, ["templates", "rates"])
    assert failed.exit_code == 1 and "effective: Field required" in failed.output


def test_help_names_every_command() -> None:
    result = runner.invoke(app, ["templates", "--help"])
    assert result.exit_code == 0
    for command in ("sync", "list", "show", "rates"):
        assert command in result.output
