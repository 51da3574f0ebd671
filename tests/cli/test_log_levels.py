"""A one-shot command says what it did on stdout and logs warnings only (its INFO log lines
would repeat that output); RELAYBIRD_LOG_LEVEL asks for more. Long-running processes log at
the setting's level (tests/test_cli_server.py runs them)."""

from __future__ import annotations

import logging
import threading

import pytest
from typer.testing import CliRunner

from relaybird.context import AppContext
from tests.factories import make_sender, make_workspace

runner = CliRunner()


def _create_campaign(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    from relaybird.cli.main import app

    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        result = runner.invoke(
            app, ["campaign", "create", "--name", "Spring", "--sender", "1", "--template", "t"]
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_one_shot_command_prints_its_result_not_its_info_log(
    sqlite_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite_ctx.db.write() as session:
        make_sender(session, make_workspace(session))
    monkeypatch.delenv("RELAYBIRD_LOG_LEVEL", raising=False)
    output = _create_campaign(sqlite_ctx, monkeypatch)
    assert "campaign 1 created (NOT_STARTED)" in output
    assert "relaybird.status" not in output


def test_the_operator_may_ask_a_command_for_its_info_log(
    sqlite_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite_ctx.db.write() as session:
        make_sender(session, make_workspace(session))
    output = _create_campaign(sqlite_ctx, monkeypatch, RELAYBIRD_LOG_LEVEL="INFO")
    assert "campaign 1: none -> NOT_STARTED (created by cli)" in output


def test_a_line_logged_after_the_command_returned_reaches_the_stderr_of_that_moment(
    sqlite_ctx: AppContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CliRunner closes the stream it gave the command as sys.stderr. A line another thread
    logs afterwards (a live server, a loop) goes to the stderr of its moment: never to that
    closed stream, which printed an "I/O operation on closed file" traceback per line."""
    from relaybird.cli.main import app

    with sqlite_ctx.db.write() as session:
        make_sender(session, make_workspace(session))
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", sqlite_ctx.settings.database_url)
    result = runner.invoke(
        app, ["campaign", "create", "--name", "Spring", "--sender", "1", "--template", "t"]
    )
    assert result.exit_code == 0, result.output
    later = threading.Thread(target=logging.getLogger("relaybird.loop").warning, args=("later",))
    later.start()
    later.join()
    err = capsys.readouterr().err
    assert "WARNING relaybird.loop later" in err
    assert "Logging error" not in err and "closed file" not in err
