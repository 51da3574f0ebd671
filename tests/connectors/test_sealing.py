"""Connector secrets at rest (issue 16): sealed with RELAYBIRD_SECRET_KEY (Fernet), never
stored in plain text; no key → no connector (503) and no process starts while connectors exist;
a key that opens nothing, or plain text from before, stops the start with what to do; rotation
and the one-off resealing through `relaybird connectors reseal`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from relaybird.cli.main import app as cli
from relaybird.connectors import service
from relaybird.context import AppContext
from relaybird.kit.sealing import SealError, SecretBox, looks_sealed, new_key, parse_keys
from relaybird.models import Connector
from relaybird.runtime import StartupRefused, bootstrap
from relaybird.runtime import startup_problem as first_problem
from relaybird.wiring import startup_checks
from tests.connectors.test_connectors_api import LINE, TWILIO
from tests.factories import KeyMaker


def _secrets(ctx: AppContext) -> dict[str, str]:
    with ctx.db.read() as session:
        [row] = session.query(Connector).all()
        return dict(row.secrets)


def startup_problem(ctx: AppContext) -> str | None:
    return first_problem(ctx, startup_checks())


def _with_key(ctx: AppContext, key: str) -> AppContext:
    return AppContext(
        settings=ctx.settings.model_copy(update={"secret_key": SecretStr(key)}),
        db=ctx.db,
        clock=ctx.clock,
    )


def test_the_box_seals_opens_and_rotates() -> None:
    old, new = new_key(), new_key()
    sealed = SecretBox([old]).seal("s3cret")
    assert "s3cret" not in sealed and looks_sealed(sealed)
    assert not looks_sealed("s3cret") and not looks_sealed("tw-secret-auth-token")
    rotating = SecretBox([new, old])
    assert rotating.open(sealed) == "s3cret"
    moved = rotating.reseal(sealed)
    assert SecretBox([new]).open(moved) == "s3cret"
    with pytest.raises(SealError):
        SecretBox([new]).open(sealed)
    assert "SecretBox(...)" == repr(rotating)
    assert parse_keys(f" {new} , {old} ") == [new, old] and parse_keys("") == []
    for bad in ("short", new[:-2], f"{new},nope"):
        with pytest.raises(ValueError, match="not a Fernet key"):
            parse_keys(bad)


def test_no_key_no_connector_and_nothing_written(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    ctx.settings = ctx.settings.model_copy(update={"secret_key": SecretStr("")})
    r = client.post("/api/v1/connectors", json=TWILIO, headers=keys.headers("admin"))
    assert (r.status_code, r.json()["code"]) == (503, "secret_key_missing")
    assert "relaybird connectors new-key" in r.json()["detail"]
    with ctx.db.read() as session:
        assert session.query(Connector).count() == 0


def test_stored_sealed_and_a_wrong_or_missing_key_stops_the_start(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    r = client.post("/api/v1/connectors", json=LINE, headers=keys.headers("admin"))
    assert r.status_code == 201, r.text
    stored = _secrets(ctx)
    assert sorted(stored) == ["channel_access_token", "channel_secret"]
    assert all(looks_sealed(v) for v in stored.values())
    assert not any("line-" in v for v in stored.values())
    assert startup_problem(ctx) is None

    unset = _with_key(ctx, "")
    problem = startup_problem(unset)
    assert problem is not None and "RELAYBIRD_SECRET_KEY is not set" in problem
    with pytest.raises(StartupRefused, match="new-key"):
        bootstrap(unset, startup_checks())
    other = _with_key(ctx, new_key())
    problem = startup_problem(other)
    assert problem is not None and f"connector(s) {r.json()['id']}" in problem
    assert "opens the secrets" in problem


def test_worker_refuses_to_start_and_reseal_rotates(
    ctx: AppContext, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys.workspace_id()
    runner = CliRunner()
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("RELAYBIRD_TWILIO_AUTH_TOKEN", "tw-secret-auth-token")
    old = ctx.settings.secret_key.get_secret_value()
    monkeypatch.delenv("RELAYBIRD_SECRET_KEY", raising=False)
    refused = runner.invoke(
        cli, ["connectors", "add-twilio", "--account-sid", TWILIO["account_sid"]]
    )
    assert refused.exit_code == 1 and "RELAYBIRD_SECRET_KEY is not set" in refused.output
    monkeypatch.setenv("RELAYBIRD_SECRET_KEY", old)
    added = runner.invoke(cli, ["connectors", "add-twilio", "--account-sid", TWILIO["account_sid"]])
    assert added.exit_code == 0, added.output

    monkeypatch.delenv("RELAYBIRD_SECRET_KEY")
    worker = runner.invoke(cli, ["worker"])
    assert worker.exit_code == 2 and "not starting" in worker.output, worker.output
    assert "relaybird connectors new-key" in worker.output

    # Rotation: new,old opens; reseal moves everything under new; then new alone is enough.
    fresh = runner.invoke(cli, ["connectors", "new-key"])
    new = fresh.output.strip()
    assert fresh.exit_code == 0 and parse_keys(new) == [new]
    before = _secrets(ctx)
    monkeypatch.setenv("RELAYBIRD_SECRET_KEY", f"{new},{old}")
    done = runner.invoke(cli, ["connectors", "reseal"])
    assert done.exit_code == 0 and "1 connector(s) resealed" in done.output, done.output
    after = _secrets(ctx)
    assert after != before
    assert SecretBox([new]).open(after["auth_token"]) == "tw-secret-auth-token"
    assert startup_problem(_with_key(ctx, new)) is None
    # Resealing with a key that opens nothing changes nothing.
    monkeypatch.setenv("RELAYBIRD_SECRET_KEY", new_key())
    wrong = runner.invoke(cli, ["connectors", "reseal"])
    assert wrong.exit_code == 1 and "opens connector" in wrong.output
    assert _secrets(ctx) == after


def test_plain_text_from_before_is_named_and_resealed(
    ctx: AppContext, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = keys.workspace_id()
    with ctx.db.write() as session:  # as an older relaybird stored it
        session.add(
            Connector(
                workspace_id=workspace,
                network="SMS_DIRECT",
                provider="twilio",
                name="old",
                account_id=str(TWILIO["account_sid"]),
                options={},
                secrets={"auth_token": "tw-secret-auth-token"},
                created_at=ctx.clock.now(),
                updated_at=ctx.clock.now(),
            )
        )
    problem = startup_problem(ctx)
    assert problem is not None and "plain text" in problem and "reseal" in problem
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("RELAYBIRD_SECRET_KEY", ctx.settings.secret_key.get_secret_value())
    done = CliRunner().invoke(cli, ["connectors", "reseal"])
    assert done.exit_code == 0, done.output
    stored = _secrets(ctx)["auth_token"]
    assert looks_sealed(stored) and startup_problem(ctx) is None
    assert service.secret_box(ctx.settings).open(stored) == "tw-secret-auth-token"
