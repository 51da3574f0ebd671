"""`relaybird inbox stats|replay|prune` as an operator runs them."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from relaybird.inbox import repository
from relaybird.inbox import service as inbox
from relaybird.models import InboxEvent, Recipient
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace
from tests.inbox.helpers import status, statuses_body

runner = CliRunner()


@pytest.fixture
def env(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    return ctx


def _store(ctx: AppContext, body: bytes) -> None:
    with ctx.db.write() as session:
        repository.insert_ignore(
            session,
            [inbox.new_event("whatsapp", body, hashlib.sha256(body).hexdigest(), ctx.clock.now())],
        )


def test_replay_applies_a_failed_body_once_its_message_is_known(env: AppContext) -> None:
    with env.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, phone_number_id="pn-1")  # the status's number
        campaign = make_campaign(session, ws, sender, state="RUNNING")
        [rid] = make_recipients(session, ws, campaign, 1, state="SENT")
    _store(env, statuses_body([status("wamid.LOST", "read")]))
    with env.db.write() as session:  # gave up on it earlier: FAILED
        session.execute(update(InboxEvent).values(status="FAILED", attempts=10))
        session.execute(update(Recipient).where(Recipient.id == rid).values(wamid="wamid.LOST"))
    with env.db.read() as session:
        event_id = session.scalar(select(InboxEvent.id))
    result = runner.invoke(app, ["inbox", "replay", "--id", str(event_id)])
    assert result.exit_code == 0, result.output
    assert "1 bodies queued" in result.output and "applied 1 bodies, 1 events" in result.output
    with env.db.read() as session:
        assert session.scalar(select(Recipient.state).where(Recipient.id == rid)) == "READ"
    stats = runner.invoke(app, ["inbox", "stats"])
    assert "APPLIED" in stats.output and "1" in stats.output


def test_replay_needs_an_id_or_a_time(env: AppContext) -> None:
    result = runner.invoke(app, ["inbox", "replay"])
    assert result.exit_code == 1
    assert "--id" in result.output
    bad = runner.invoke(app, ["inbox", "replay", "--since", "yesterday"])
    assert bad.exit_code == 1 and "ISO 8601" in bad.output


def test_prune_reports_what_it_removed(env: AppContext) -> None:
    result = runner.invoke(app, ["inbox", "prune"])
    assert result.exit_code == 0
    assert "pruned 0 applied bodies" in result.output
