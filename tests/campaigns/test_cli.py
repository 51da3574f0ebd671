"""The campaign CLI: create, upload with progress, start, show, end, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from relaybird.simulator.template_seed import SEED
from relaybird.templates import service as templates
from tests.factories import make_workspace, new_sender
from tests.templates.helpers import catalogue_item


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


def test_campaign_cli_maps_template_slots_and_previews(
    sqlite_ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", sqlite_ctx.settings.database_url)
    waba = "100000000000071"
    sender = new_sender(sqlite_ctx, waba_id=waba)
    with sqlite_ctx.db.write() as session:
        ws = make_workspace(session, "default")
        items = [catalogue_item(dict(t)) for t in SEED]
        templates.apply_catalogue(session, ws, waba, items, actor="t", now=sqlite_ctx.clock.now())
    runner = CliRunner()
    base = ["campaign", "create", "--name", "s", "--sender", str(sender)]
    base += ["--template", "summer_promo", "--language", "en_US"]
    maps = [
        "header.image=link:https://cdn.example.com/a.jpg",
        "body.1=column:first_name",
        "body.2=value:25%",
        "buttons[0].url=column:coupon",
    ]
    args = [a for m in maps for a in ("--map", m)]
    # One slot left out: the error names it, nothing is created.
    r = runner.invoke(app, [*base, *args[:-2]])
    assert r.exit_code == 1 and "buttons[0].url: not mapped" in r.output
    r = runner.invoke(app, [*base, "--map", "body.1=colum:x"])
    assert r.exit_code == 2 and "cannot read --map 'body.1=colum:x'" in r.output
    r = runner.invoke(app, [*base, *args, "--auto-resume", "--quality-guard"])
    assert r.exit_code == 0, r.output
    assert "campaign 1 created" in r.output
    listing = tmp_path / "list.csv"
    listing.write_text("phone,first_name,coupon\n+12125550001,Ann,ANN25\n")
    assert runner.invoke(app, ["campaign", "upload", "1", str(listing)]).exit_code == 0
    r = runner.invoke(app, ["campaign", "preview", "1"])
    assert r.exit_code == 0, r.output
    assert "[image: https://cdn.example.com/a.jpg]" in r.output
    assert "ANN25" in r.output and "Ann" in r.output
    help_text = runner.invoke(app, ["campaign", "create", "--help"]).output
    assert "--template-id" in help_text and "--map" in help_text
