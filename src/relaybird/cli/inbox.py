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
from relaybird.models.inbox import InboxStatus

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
    for status in (InboxStatus.PENDING, InboxStatus.RETRY, InboxStatus.APPLIED, InboxStatus.FAILED):
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
    from relaybird.wiring import registered_handlers

    if not ids and since is None:
        raise InvalidInput("name bodies with --id, or a time with --since")
    when = _parse_time(since) if since else None
    with _context() as ctx:
        count = service.replay(ctx, ids=ids, since=when)
        console.print(f"{count} bodies queued for replay")
        if not (now and count):
            return
        total = applier.StepResult()
        registry = registered_handlers()
        while True:
            step = applier.apply_batch(ctx, registry)
            if step.rows == 0:
                break
            total.rows += step.rows
            total.events += step.events
            total.retried += step.retried
    console.print(
        f"[green]applied[/] {total.rows} bodies, {total.events} events"
        + (f" ({total.retried} to retry later)" if total.retried else "")
    )


@app.command("dead-letters")
@friendly
def dead_letters(
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many to list.")] = 50,
) -> None:
    """List the bodies the applier set aside (FAILED) with the reason, oldest first. Fix the
    cause, then `relaybird inbox replay --id N`."""
    from relaybird.inbox import service

    with _context() as ctx, ctx.db.read() as session:
        page = service.dead_letters(session, workspace_id=None, cursor=None, limit=limit)
    table = Table("id", "source", "received", "attempts", "reason")
    for letter in page.items:
        table.add_row(
            str(letter.id),
            letter.source,
            letter.received_at.isoformat(timespec="seconds"),
            str(letter.attempts),
            letter.reason,
        )
    console.print(table)
    if not page.items:
        console.print("no dead letters")


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
