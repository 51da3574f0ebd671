"""Shared CLI plumbing: settings, context, consoles, error display."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from relaybird.config import Settings
from relaybird.context import AppContext
from relaybird.errors import AppError
from relaybird.kit import logging as rlog

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def load_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "RELAYBIRD_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        err_console.print(f"[red]error:[/] {name}: {first['msg']}")
        raise typer.Exit(2) from None
    rlog.configure(settings.log_level, settings.log_json)
    return settings


def context() -> AppContext:
    return AppContext.from_settings(load_settings())


@contextmanager
def opened() -> Iterator[AppContext]:
    """A context for one command, its database connections closed at the end."""
    ctx = context()
    try:
        yield ctx
    finally:
        ctx.db.dispose()


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Show AppErrors as one red line and exit 1, instead of a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except AppError as exc:
            err_console.print(f"[red]error:[/] {exc.detail}")
            raise typer.Exit(1) from None

    return wrapper
