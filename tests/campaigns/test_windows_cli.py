"""The send-window options of the campaign CLI: create with a window, show it, change, clear,
and a bad window refused with the reason (exit 2), nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from relaybird.models import Campaign
from tests.factories import new_sender


def test_window_options_round_trip(sqlite_ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", sqlite_ctx.settings.database_url)
    sender = new_sender(sqlite_ctx)
    runner = CliRunner()
    base = ["campaign", "create", "--name", "x", "--sender", str(sender), "--template", "t"]
    window = ["--window-start", "09:00", "--window-end", "20:00", "--window-zone", "Europe/Prague"]
    r = runner.invoke(app, [*base, *window, "--window-days", "MON,TUE,WED,THU,FRI,SAT"])
    assert r.exit_code == 0, r.output
    with sqlite_ctx.db.read() as s:
        stored = s.get(Campaign, 1).send_window  # type: ignore[union-attr]
    assert stored == {
        "start": "09:00",
        "end": "20:00",
        "days": ["MON", "TUE", "WED", "THU", "FRI", "SAT"],
        "time_zone": "Europe/Prague",
        "overnight": False,
    }
    r = runner.invoke(app, ["campaign", "show", "1"])
    assert r.exit_code == 0 and "send window: 09:00–20:00" in r.output, r.output

    r = runner.invoke(app, [*base, "--window-start", "20:00", "--window-end", "08:00"])
    assert r.exit_code == 2 and "--window-zone" in r.output
    r = runner.invoke(
        app, [*base, *window[:2], "--window-end", "08:00", "--window-zone", "Europe/Prague"]
    )
    assert r.exit_code != 0 and "overnight" in r.output, r.output

    def overnight(zone: str) -> Any:
        command = ["campaign", "window", "1", "--start", "20:00", "--end", "08:00"]
        return runner.invoke(app, [*command, "--zone", zone, "--overnight"])

    r = overnight("UTC")
    assert r.exit_code == 0 and "20:00–08:00 overnight" in r.output, r.output
    r = overnight("Nowhere/Town")
    assert r.exit_code != 0 and "IANA" in r.output
    with sqlite_ctx.db.read() as s:
        assert s.get(Campaign, 1).send_window["start"] == "20:00"  # type: ignore[index,union-attr]
    r = runner.invoke(app, ["campaign", "window", "1", "--clear"])
    assert r.exit_code == 0 and "none (any time)" in r.output
    r = runner.invoke(app, ["campaign", "window", "1"])
    assert r.exit_code == 2
    with sqlite_ctx.db.read() as s:
        assert s.get(Campaign, 1).send_window is None  # type: ignore[union-attr]
    with sqlite_ctx.db.read() as s:
        assert s.query(Campaign).count() == 1  # the refused creates made nothing
