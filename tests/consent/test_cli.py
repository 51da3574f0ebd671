"""`relaybird suppressions add|list|remove|import|export`, tables and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from tests.factories import new_sender


def test_suppressions_cli_round_trip(
    sqlite_ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", sqlite_ctx.settings.database_url)
    new_sender(sqlite_ctx)  # the default workspace
    runner = CliRunner()
    r = runner.invoke(app, ["suppressions", "add", "+12125550100", "--reason", "asked"])
    assert r.exit_code == 0, r.output
    assert "+12125550100" in r.output and "manual" in r.output
    listing = tmp_path / "s.csv"
    listing.write_text("phone,source\n+12125550101,bounced\nnope,\n")
    r = runner.invoke(app, ["suppressions", "import", str(listing), "--json"])
    assert r.exit_code == 0, r.output
    assert (json.loads(r.output)["added"], json.loads(r.output)["invalid"]) == (1, 1)
    r = runner.invoke(app, ["suppressions", "list", "--json"])
    assert [s["phone"] for s in json.loads(r.output)["items"]] == ["+12125550100", "+12125550101"]
    r = runner.invoke(app, ["suppressions", "list", "--source", "bounced"])
    assert "+12125550101" in r.output and "+12125550100" not in r.output
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["suppressions", "export", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines()[0] == "phone,source,reason,created_at"
    r = runner.invoke(app, ["suppressions", "remove", "+12125550100"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["suppressions", "remove", "+12125550100"])
    assert r.exit_code == 1 and "not suppressed" in r.output
    r = runner.invoke(app, ["suppressions", "add", "garbage"])
    assert r.exit_code == 1 and "not a valid phone number" in r.output
