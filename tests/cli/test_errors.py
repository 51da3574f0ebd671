"""Every CLI failure an operator can cause is one line on stderr and a non-zero exit, with
nothing created or started: a missing, unmigrated or unreachable database, a bad URL or setting
value, a busy port. Real processes, real files, a real (closed) PostgreSQL port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.core import TyperArgument, TyperGroup
from typer.testing import CliRunner

from relaybird.cli.main import app

BIN = Path(sys.executable).parent / "relaybird"
runner = CliRunner()
# Commands that start processes or create on purpose: tested by name below.
PROCESSES = {("serve",), ("api",), ("worker",), ("migrate",), ("demo",), ("simulator",)}
# Commands that never open the database (tests/connectors/test_sealing.py: new-key).
NO_DATABASE = {("connectors", "new-key")}
# Options some commands need to get as far as the database.
EXTRA = {("inbox", "replay"): ["--id", "1"], ("rooms", "send"): ["--text", "hi"]}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _commands(group: TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


ROOT = typer.main.get_command(app)
assert isinstance(ROOT, TyperGroup)


def _args(path: tuple[str, ...], tmp: Path) -> list[str]:
    """The command with made-up values for what it requires (the database fails first)."""
    command = ROOT
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    args = [*path, *EXTRA.get(path, [])]
    for param in command.params:
        if not param.required:
            continue
        value = "1"
        if param.name in ("file",):
            (tmp / "list.csv").write_text("phone\n+14155550123\n")
            value = str(tmp / "list.csv")
        elif param.name in ("role",):
            value = "admin"
        elif param.name == "network":
            value = "SMS_DIRECT"
        elif param.name == "owner" and path == ("rooms", "create"):
            value = "1"
        elif param.name in ("email", "owner", "name", "template", "phone", "url"):
            value = {"url": "https://example.com/x"}.get(param.name, "x@example.com")
        if isinstance(param, TyperArgument):
            args.append(value)
        else:
            args += [param.opts[0], value]
    return args


DATABASE_COMMANDS = sorted(set(_commands(ROOT)) - PROCESSES - NO_DATABASE)


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("path", DATABASE_COMMANDS, ids=" ".join)
def test_every_command_on_a_missing_database_says_migrate_and_creates_nothing(
    path: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "RELAYBIRD_DATABASE_URL": "sqlite:///relaybird.db",
        "RELAYBIRD_NEW_PASSWORD": "a-long-password",
        "RELAYBIRD_SENDER_ACCESS_TOKEN": "token",
    }
    result = runner.invoke(app, _args(path, tmp_path), env=env)
    assert result.exit_code == 1, result.output
    line = _one_line(result.stderr)
    assert line == ("error: no relaybird database at ./relaybird.db: run `relaybird migrate` first")
    assert not (tmp_path / "relaybird.db").exists()


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_status_in_an_empty_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAYBIRD_")}
    done = subprocess.run(
        [str(BIN), "status"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert _one_line(done.stderr) == (
        "error: no relaybird database at ./relaybird.db: run `relaybird migrate` first"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unmigrated_database_says_migrate(tmp_path: Path) -> None:
    (tmp_path / "empty.db").write_bytes(b"")
    done = _run(["campaign", "list"], tmp_path, RELAYBIRD_DATABASE_URL="sqlite:///empty.db")
    assert done.returncode == 1
    assert "is not at the latest schema: run `relaybird migrate` first" in _one_line(done.stderr)


@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "0"], ["status"]])
def test_an_unreachable_postgresql_is_one_line(command: list[str], tmp_path: Path) -> None:
    url = f"postgresql://relaybird:secret@127.0.0.1:{_closed_port()}/relaybird"
    done = _run(command, tmp_path, RELAYBIRD_DATABASE_URL=url)
    assert done.returncode == 1, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert "the database at postgresql://relaybird:***@127.0.0.1:" in line
    assert "secret" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"RELAYBIRD_DATABASE_URL": "not a url"}, "RELAYBIRD_DATABASE_URL: not a database URL"),
        (
            {"RELAYBIRD_DATABASE_URL": "mysql://x@127.0.0.1/db"},
            "RELAYBIRD_DATABASE_URL: unsupported database 'mysql'",
        ),
        ({"RELAYBIRD_MAX_ATTEMPTS": "many"}, "RELAYBIRD_MAX_ATTEMPTS: "),
        ({"RELAYBIRD_INVITE_EXPIRY": "soon"}, "RELAYBIRD_INVITE_EXPIRY: "),
        (
            {"RELAYBIRD_LEASE": "10s"},
            "error: RELAYBIRD_LEASE (10s) must be more than twice RELAYBIRD_SEND_TIMEOUT (15s)",
        ),
    ],
)
@pytest.mark.parametrize("command", [["status"], ["migrate"], ["serve", "--port", "0"]])
def test_bad_settings_are_one_line(
    env: dict[str, str], expected: str, command: list[str], tmp_path: Path
) -> None:
    done = _run(command, tmp_path, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in _one_line(done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_serve_on_a_busy_port_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run(
            ["serve", "--port", str(port)],
            tmp_path,
            RELAYBIRD_DATABASE_URL="sqlite:///relaybird.db",
        )
    assert done.returncode == 1
    line = _one_line(done.stderr)
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert "pass another --port" in line
    # Bound before anything else: no database file, no loop started, nothing logged.
    assert list(tmp_path.iterdir()) == []
    assert done.stdout == ""
