"""Every command's --help follows the house rules: flags show no `<bool>` value, the usage line
has no `{name}` placeholders, every argument and option says what it is, and nothing that is
prompted for is listed as required."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from relaybird.cli.main import app

runner = CliRunner()


def _commands(group: TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


ROOT = typer.main.get_command(app)
assert isinstance(ROOT, TyperGroup)
COMMANDS = sorted(_commands(ROOT))


def _command(path: tuple[str, ...]) -> typer.core.TyperCommand:
    command = ROOT
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]  # type: ignore[assignment]
    return command


def test_the_walk_sees_every_operator_command() -> None:
    for expected in (
        ("keys", "list"),
        ("keys", "revoke"),
        ("rooms", "create"),
        ("rooms", "send"),
        ("campaign", "list"),
        ("contacts", "delete"),
        ("users", "block"),
        ("emails", "list"),
        ("events", "subscribe"),
    ):
        assert expected in COMMANDS


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "relaybird")
def test_help_rules(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "<bool>" not in text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert not re.search(r"\{[A-Za-z_]+\}", usage), usage
    assert not re.search(r"\{[a-z_]+\}", text), text
    # A description's paragraph is one flowing text: the docstring's own line breaks do not
    # survive into the help (they cut sentences mid-line at any other width).
    described = ROOT if not path else _command(path)
    lines = [" ".join(line.split()).replace("`", "") for line in text.splitlines()]
    for paragraph in (described.help or "").split("\b")[0].split("\n\n"):
        words = " ".join(paragraph.split()).replace("`", "")
        if 0 < len(words) < 180:
            assert any(words in line for line in lines), f"broken across lines: {words}"
    if not path:
        return
    command = _command(path)
    assert command.help, f"{' '.join(path)} has no description"
    for param in command.params:
        assert getattr(param, "help", None), f"{' '.join(path)}: {param.name} is not described"
        prompted = isinstance(param, TyperOption) and param.prompt
        assert not (prompted and param.required), f"{param.name}: required, then prompted"
