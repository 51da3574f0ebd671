"""`relaybird inbox ...`: look at, replay and prune stored webhook bodies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from relaybird.cli.common import console, context, friendly
from relaybird.context import AppContext
from relaybird.errors import InvalidInput

app = typer.Typer(
    help="The webhook inbox: every signed body we received, stored before it is applied.",
    no_args_is_help=True,
)


@contextmanager
def _context() -> Iterator[AppContext]:
    ctx = context()
    try:
        yield ctx
    finally:
        ctx.db.dispose()


@app.command()
@friendly
def stats() -> None:
    """Count stored bodies by status (PENDING, RETRY, APPLIED, FAILED)."""
    from relaybird.inbox import service

    with _context() as ctx:
        counts = service.counts(ctx)
    table = Table("status", "bodies")
    for status in ("PENDING", "RETRY", "APPLIED", "FAILED"):
        table.add_row(status, str(counts.get(status, 0)))
    console.print(table)


@app.command()
@friendly
def replay(
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="Replay this stored body (repeatable).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Replay every body received since this time (ISO 8601, UTC)."),
    ] = None,
    now: Annotated[
        bool, typer.Option("--now/--later", help="Apply at once here, or leave it to the worker.")
    ] = True,
) -> None:
    """Re-apply stored webhook bodies (applied or failed ones). Safe to repeat: applying is
    idempotent, statuses never move backwards."""
    from relaybird.inbox import applier, service

    if not ids and since is None:
        raise InvalidInput("name bodies with --id, or a time with --since")
    when = _parse_time(since) if since else None
    with _context() as ctx:
        count = service.replay(ctx, ids=ids, since=when)
        console.print(f"{count} bodies queued for replay")
        if not (now and count):
            return
        total = applier.StepResult()
        while True:
            step = applier.apply_batch(ctx)
            if step.rows == 0:
                break
            total.rows += step.rows
            total.events += step.events
            total.retried += step.retried
    console.print(
        f"[green]applied[/] {total.rows} bodies, {total.events} events"
        + (f" ({total.retried} to retry later)" if total.retried else "")
    )


@app.command()
@friendly
def prune() -> None:
    """Delete applied bodies older than RELAYBIRD_INBOX_RETENTION (default 14 days)."""
    from relaybird.inbox import service

    with _context() as ctx:
        removed = service.prune(ctx)
    console.print(f"pruned {removed} applied bodies older than {ctx.settings.inbox_retention}")


def _parse_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"--since: not an ISO 8601 time: {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
