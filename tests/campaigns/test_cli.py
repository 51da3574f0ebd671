"""The campaign CLI: create, upload with progress, start, show, end, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from tests.factories import (
    make_campaign,
    make_recipients,
    make_sender,
    make_workspace,
    new_sender,
)


def test_campaign_cli_round_trip(
    sqlite_ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", sqlite_ctx.settings.database_url)
    sender = new_sender(sqlite_ctx)
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "campaign",
            "create",
            "--name",
            "x",
            "--sender",
            str(sender),
            "--template",
            "t",
            "--param",
            "name",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "campaign 1 created" in r.output
    listing = tmp_path / "list.csv"
    listing.write_text("msisdn,name\n+12125550001,Ann\n+12125550002,\nbad,Cid\n")
    r = runner.invoke(app, ["campaign", "upload", "1", str(listing)])
    assert r.exit_code == 0, r.output
    assert "1 accepted" in r.output and "2 invalid" in r.output
    assert "row 3: missing template parameter 'name'" in r.output
    r = runner.invoke(app, ["campaign", "start", "1"])
    assert r.exit_code == 0 and "RUNNING" in r.output
    r = runner.invoke(app, ["campaign", "start", "1"])
    assert r.exit_code == 1 and "cannot go from RUNNING" in r.output
    r = runner.invoke(app, ["campaign", "end", "1"])
    assert r.exit_code == 0 and "CANCELED_BY_ADMIN" in r.output
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["campaign", "export", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text().count("\n") == 4


def test_campaign_retry_from_the_cli(
    sqlite_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", sqlite_ctx.settings.database_url)
    with sqlite_ctx.db.write() as session:
        ws = make_workspace(session)
        cid = make_campaign(session, ws, make_sender(session, ws), state="ENDED", name="x")
        make_recipients(session, ws, cid, 2, state="ERROR")
    runner = CliRunner()
    r = runner.invoke(app, ["campaigns", "retry", str(cid), "--json"])
    assert r.exit_code == 0, r.output
    child = json.loads(r.output)
    assert (child["parent_campaign_id"], child["total"], child["name"]) == (cid, 2, "x (retry)")
    r = runner.invoke(app, ["campaign", "retry", str(cid), "--state", "READ"])
    assert r.exit_code != 0 and "cannot be retried" in r.output
