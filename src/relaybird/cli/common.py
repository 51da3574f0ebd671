"""Shared CLI plumbing: settings, context, consoles, error display, output.

Every command fails the same way: one line on stderr saying what to do, and a non-zero exit,
with nothing created or started (a command that only reads never creates a SQLite file).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.auth.service import Principal
from relaybird.config import Settings
from relaybird.context import AppContext
from relaybird.errors import AppError
from relaybird.kit import logging as rlog

console = Console()
# Errors are one line whatever the terminal's width (soft_wrap: Rich never breaks them).
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

WorkspaceOpt = Annotated[str, typer.Option(help="Workspace slug.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
LimitOpt = Annotated[int, typer.Option(help="At most this many, oldest first.", min=1)]
UserArg = Annotated[int, typer.Argument(help="The user's id (`relaybird users list`).")]
FirstNameOpt = Annotated[str | None, typer.Option(help="First name.")]
LastNameOpt = Annotated[str | None, typer.Option(help="Last name.")]
CompanyOpt = Annotated[str | None, typer.Option(help="Company.")]
ACTOR = "cli"


class CliFailure(Exception):
    """A failure the operator can act on: printed as one line, exit ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: int = 1) -> NoReturn:
    raise CliFailure(message, code)


def load_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["loc"]:
            reason = str(first["msg"]).removeprefix("Value error, ")
            fail(f"RELAYBIRD_{str(first['loc'][0]).upper()}: {reason}", 2)
        # A rule across settings (its message names them).
        fail(str(first["msg"]).removeprefix("Value error, "), 2)
    # A one-shot command says what it did on stdout; its log shows warnings only, unless the
    # operator asked for a level. The long-running processes log at the setting's level.
    level = settings.log_level if "RELAYBIRD_LOG_LEVEL" in os.environ else "WARNING"
    rlog.configure(level, settings.log_json, settings.default_region)
    return settings


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def db_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def shown_path(path: Path) -> str:
    return str(path) if path.is_absolute() else f"./{path}"


def check_url(url: str) -> None:
    """A URL we can use, or one line naming the setting."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        fail(
            f"RELAYBIRD_DATABASE_URL: not a database URL: {url!r} (use sqlite:///FILE or "
            "postgresql://USER@HOST/DB)",
            2,
        )
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        fail(
            f"RELAYBIRD_DATABASE_URL: unsupported database {parsed.get_backend_name()!r} "
            "(use sqlite:///FILE or postgresql://USER@HOST/DB)",
            2,
        )


def check_database(url: str) -> None:
    """The database exists, answers and is at the latest schema; else one line saying what to
    do. Never creates anything (SQLite would create a missing file on connect: look first)."""
    from relaybird.db import migrate as db_migrate

    check_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        fail(f"no relaybird database at {shown_path(path)}: run `relaybird migrate` first")
    alembic = logging.getLogger("alembic")
    level = alembic.level
    alembic.setLevel(logging.WARNING)  # its INFO lines ("Context impl ...") say nothing here
    try:
        current = db_migrate.is_current(url)
    except SQLAlchemyError as exc:
        fail(f"cannot reach the database at {safe_url(url)}: {db_reason(exc)}")
    finally:
        alembic.setLevel(level)
    if not current:
        fail(
            f"the database at {safe_url(url)} is not at the latest schema: "
            "run `relaybird migrate` first"
        )


def context(*, check: bool = True) -> AppContext:
    settings = load_settings()
    if check:
        check_database(settings.database_url)
    return AppContext.from_settings(settings)


@contextmanager
def opened() -> Iterator[AppContext]:
    """A context for one command, its database connections closed at the end."""
    ctx = context()
    try:
        yield ctx
    finally:
        ctx.db.dispose()


def principal(ctx: AppContext, workspace: str) -> Principal:
    """The CLI acts as an admin of the named workspace (it has the database's keys anyway)."""
    with ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace)
    return Principal(workspace_id=ws.id, role=Role.ADMIN, actor=ACTOR)


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Show failures as one red line and exit non-zero, instead of a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CliFailure as exc:
            _error(exc.message)
            raise typer.Exit(exc.code) from None
        except AppError as exc:
            _error(exc.detail)
            raise typer.Exit(1) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
            )
            _error(problems)
            raise typer.Exit(2) from None
        except SQLAlchemyError as exc:
            _error(f"database error: {db_reason(exc)}")
            raise typer.Exit(1) from None

    return wrapper


def _error(message: str) -> None:
    err_console.print(Text.assemble(("error: ", "red"), message), highlight=False)


def as_json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """JSON on stdout, unstyled and unwrapped (for jq and scripts)."""
    typer.echo(json.dumps(as_json(value), indent=2, ensure_ascii=False, default=str))


def table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
) -> Table:
    out = Table(*columns, title=title, title_justify="left")
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    return out


def show(value: Any, json_out: bool, render: Callable[[], Any]) -> None:
    """``--json``: the API's JSON for ``value``; else ``render()`` (a table or text)."""
    if json_out:
        print_json(value)
    else:
        console.print(render())


def log_as_service(settings: Settings) -> None:
    """The long-running processes (serve, api, worker) log at RELAYBIRD_LOG_LEVEL (INFO)."""
    rlog.configure(settings.log_level, settings.log_json, settings.default_region)
