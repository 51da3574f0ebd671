"""`restricted_by` is shown wherever a sender is (issue 12 item 4): the API's sender detail, the
CLI's `senders show` and the dashboard, for both causes, and not for a number that can send."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from relaybird.auth.roles import Role
from relaybird.cli.main import app
from relaybird.context import AppContext
from relaybird.providers.whatsapp.errors import classify
from relaybird.senders import service
from tests.dashboard.helpers import logged_in
from tests.factories import KeyMaker
from tests.senders.factories import add_sender

runner = CliRunner()


def _restrict(ctx: AppContext, sender_id: int, cause: str) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as s:
        if cause == "LIMIT":
            phones = [f"+1444{i:07d}" for i in range(1000)]  # TIER_1K, full
            service.count_business_initiated(s, sender_id, phones, actor="test", now=now)
        elif cause == "PROVIDER":
            service.on_send_error(s, sender_id, classify(131031), actor="test", now=now)


@pytest.mark.parametrize("cause", ["LIMIT", "PROVIDER", None])
def test_restricted_by_in_the_api_the_cli_and_the_dashboard(
    ctx: AppContext,
    client: TestClient,
    keys: KeyMaker,
    monkeypatch: pytest.MonkeyPatch,
    cause: str | None,
) -> None:
    sender = add_sender(ctx, keys.workspace_id())
    _restrict(ctx, sender.id, cause or "")

    body = client.get(f"/api/v1/senders/{sender.id}", headers=keys.headers()).json()
    assert body["status"] == ("RESTRICTED" if cause else "CONNECTED")
    assert body["restricted_by"] == cause

    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    shown = runner.invoke(app, ["senders", "show", str(sender.id)])
    assert shown.exit_code == 0, shown.output
    assert ("restricted by" in shown.output) == (cause is not None)
    if cause == "LIMIT":
        assert "LIMIT (the moving 24 h window reached" in shown.output
    if cause == "PROVIDER":
        assert "PROVIDER (Meta restricted the number)" in shown.output
    as_json = runner.invoke(app, ["senders", "show", str(sender.id), "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["restricted_by"] == cause

    logged_in(client, ctx, "vera@example.com", Role.VIEWER)
    for page in (f"/ui/senders/{sender.id}", "/ui/senders"):
        html = client.get(page).text
        assert (f"data-restricted-by>by {cause}<" in html) == (cause is not None), page
