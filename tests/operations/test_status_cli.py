from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from relaybird.campaigns import service as campaigns
from relaybird.context import AppContext
from relaybird.models import SenderContact
from relaybird.operations import service as ops
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace

runner = CliRunner()


@pytest.fixture
def env(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("COLUMNS", "200")
    return ctx


def _seed(ctx: AppContext, state: str = "RUNNING") -> tuple[int, int]:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line", status="RESTRICTED")
        campaign = make_campaign(session, ws, sender, state=state, name="Spring sale")
        make_recipients(session, ws, campaign, 3, state="DELIVERED")
        make_recipients(session, ws, campaign, 1, state="SENDING_FAILED")
        make_recipients(session, ws, campaign, 2, state="INITIAL")
    return ws, campaign


def test_status_shows_senders_and_active_campaigns(env: AppContext) -> None:
    from relaybird.cli.main import app

    _seed(env)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "Main line" in result.output and "RESTRICTED" in result.output
    assert "Spring sale" in result.output
    assert "67%" in result.output  # 4 of 6 recipients are final
    assert "messaging limit" in result.output  # why the campaign waits


def test_status_for_an_unknown_workspace_is_one_red_line(env: AppContext) -> None:
    from relaybird.cli.main import app

    result = runner.invoke(app, ["status", "--workspace", "nope"])
    assert result.exit_code == 1
    assert "no workspace 'nope'" in result.output


def test_watch_follows_a_campaign_until_it_ends(env: AppContext) -> None:
    from relaybird.cli.main import app

    ws, campaign = _seed(env)

    def end_it() -> None:
        with env.db.write() as session:
            campaigns.end(session, ws, campaign, actor="test", at=env.clock.now())

    # Ends the campaign while `watch` polls; watch returns only once it sees ENDED.
    timer = threading.Timer(0.3, end_it)
    timer.start()
    result = runner.invoke(app, ["campaign", "watch", str(campaign), "--interval", "0.05"])
    timer.join()
    assert result.exit_code == 0, result.output
    assert "Spring sale" in result.output
    assert f"campaign {campaign} is ENDED" in result.output


def test_watch_an_unknown_campaign(env: AppContext) -> None:
    from relaybird.cli.main import app

    _seed(env)
    result = runner.invoke(app, ["campaign", "watch", "999"])
    assert result.exit_code == 1 and "not found" in result.output


def test_eta_accounts_for_throughput_and_the_messaging_limit(ctx: AppContext) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, messaging_limit="TIER_1K", throughput_mps=80)
        session.add_all(
            [
                SenderContact(sender_id=sender, phone=f"+1555{i:07d}", last_counted_at=now)
                for i in range(900)
            ]
        )
    with ctx.db.read() as session:
        (health,) = ops.sender_health(session, now, ws)
    assert health.used == 900 and health.capacity == 1000
    assert ops.eta(0, health) == timedelta(0)
    assert ops.eta(80, health) == timedelta(seconds=1)  # fits in the remaining 100
    # 2,100 more: 100 now, then two more full windows of 1,000.
    assert ops.eta(2100, health) == timedelta(seconds=2100 / 80) + timedelta(hours=48)
    assert ops.eta(10, None) is None
