""" "Failed" is defined once (every failed final state) and every view shows it and its parts:
the API's `failed`, the dashboard's KPI and list, `relaybird status` and `campaign watch`."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from relaybird.auth.roles import Role
from relaybird.campaigns import service as campaigns
from relaybird.campaigns.transitions import FAILED_STATES, RECIPIENT, RecipientState
from relaybird.context import AppContext
from relaybird.operations import service as ops
from tests.dashboard.helpers import logged_in
from tests.factories import KeyMaker, make_campaign, make_recipients, make_sender, make_workspace

runner = CliRunner()


def test_failed_states_are_exactly_the_final_states_where_the_message_did_not_arrive() -> None:
    reached_or_withdrawn = {
        RecipientState.READ,  # DELIVERED is not final: READ may follow
        RecipientState.REMOVED,
        RecipientState.CANCELED_BY_ADMIN,
        RecipientState.SUCCESSFULLY_SUBMITTED,
    }
    assert set(FAILED_STATES) == set(RECIPIENT.final_states) - reached_or_withdrawn


def _seed(ctx: AppContext) -> tuple[int, int]:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line")
        campaign = make_campaign(session, ws, sender, state="RUNNING", name="Spring sale")
        make_recipients(session, ws, campaign, 4, state="DELIVERED")
        make_recipients(session, ws, campaign, 21, state="DELIVERY_FAILED")
        make_recipients(session, ws, campaign, 2, state="SENDING_FAILED")
        make_recipients(session, ws, campaign, 1, state="ERROR")
        make_recipients(session, ws, campaign, 3, state="INITIAL")
    return ws, campaign


def test_summary_counts_delivery_failures_as_failed(ctx: AppContext) -> None:
    ws, campaign = _seed(ctx)
    with ctx.db.read() as session:
        summary = campaigns.summary(session, ws, campaign)
    assert ops.failed(summary) == 24
    assert summary.failed_parts == {"SENDING_FAILED": 2, "DELIVERY_FAILED": 21, "ERROR": 1}
    assert ops.failed_detail(summary) == "not on WhatsApp 2 · delivery 21 · error 1"


def test_the_api_dashboard_and_cli_agree_on_failed(
    ctx: AppContext, client: TestClient, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relaybird.cli.main import app

    ws, campaign = _seed(ctx)
    api = client.get(f"/api/v1/campaigns/{campaign}", headers=keys.headers(Role.VIEWER)).json()
    assert api["failed"] == 24
    assert sum(api["counts"][s.value] for s in FAILED_STATES) == 24
    analytics = client.get(
        f"/api/v1/campaigns/{campaign}/analytics", headers=keys.headers(Role.VIEWER)
    ).json()
    assert analytics["totals"]["failed"] == 24
    assert {(f["state"], f["count"]) for f in analytics["failures"]} == {
        ("DELIVERY_FAILED", 21),
        ("SENDING_FAILED", 2),
        ("ERROR", 1),
    }
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    detail = client.get(f"/ui/campaigns/{campaign}").text
    assert 'id="kpi-failed">24<' in detail
    assert "delivery 21" in detail
    assert "24 of 31" in detail  # the analytics card's failure rate
    listing = client.get("/ui/campaigns").text
    assert ">24<" in listing

    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("COLUMNS", "200")
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0, status.output
    row = next(line for line in status.output.splitlines() if "Spring sale" in line)
    assert " 24 " in row

    def end_it() -> None:
        with ctx.db.write() as session:
            campaigns.end(session, ws, campaign, actor="test", at=ctx.clock.now())

    timer = threading.Timer(0.3, end_it)
    timer.start()
    watch = runner.invoke(app, ["campaign", "watch", str(campaign), "--interval", "0.05"])
    timer.join()
    assert watch.exit_code == 0, watch.output
    assert "failed 24 (not on WhatsApp 2 · delivery 21 · error 1)" in watch.output
