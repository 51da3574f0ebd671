"""`relaybird contacts create|list|resend` as an operator runs them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.contacts.users import create_user
from relaybird.context import AppContext
from relaybird.models import OutgoingEmail
from tests.factories import make_workspace

runner = CliRunner()


@pytest.fixture
def env(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    with ctx.db.write() as session:
        create_user(
            session, make_workspace(session), name="Grace", email="g@x.test", at=ctx.clock.now()
        )
    return ctx


def test_create_list_resend(env: AppContext) -> None:
    args = ["contacts", "create", "--network", "LINE", "--owner", "g@x.test", "--first-name", "Ada"]
    args += ["--last-name", "L", "--phone", "+14155550123", "--email", "ada@example.com"]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 1
    assert "company: required for LINE contacts" in missing.output
    created = runner.invoke(app, [*args, "--company", "Engines"])
    assert created.exit_code == 0, created.output
    assert "no status; invitation e-mail queued" in created.output
    listed = runner.invoke(app, ["contacts", "list", "--status", "none"])
    assert listed.exit_code == 0
    assert "Ada L" in listed.output
    assert runner.invoke(app, ["contacts", "list", "--status", "BOGUS"]).exit_code == 1
    contact_id = created.output.split("contact ")[1].split()[0]
    resent = runner.invoke(app, ["contacts", "resend", contact_id])
    assert resent.exit_code == 0, resent.output
    with env.db.read() as session:
        assert session.query(OutgoingEmail).count() == 2
