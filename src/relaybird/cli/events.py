"""Outgoing events from the shell: subscriptions, the delivery log, replay, pruning."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.auth.service import Principal
from relaybird.cli.common import console, context, friendly
from relaybird.context import AppContext
from relaybird.errors import InvalidInput
from relaybird.events import service
from relaybird.kit.durations import parse_duration
from relaybird.kit.time import rfc3339

app = typer.Typer(
    help="Outgoing events: subscriptions, delivery logs, replay.", no_args_is_help=True
)

WorkspaceOpt = Annotated[str, typer.Option(help="Workspace slug.")]


@contextmanager
def _opened() -> Iterator[AppContext]:
    """The context for one command, its connections closed on the way out."""
    ctx = context()
    try:
        yield ctx
    finally:
        ctx.db.dispose()


def _principal(ctx: AppContext, workspace: str) -> Principal:
    with ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace)
    return Principal(workspace_id=ws.id, role=Role.ADMIN, actor="cli")


@app.command("list")
@friendly
def list_subscriptions(workspace: WorkspaceOpt = "default") -> None:
    """List the workspace's event subscriptions."""
    with _opened() as ctx:
        principal = _principal(ctx, workspace)
        table = Table("id", "url", "event types", "active", "created")
        with ctx.db.read() as session:
            for sub in service.list_subscriptions(session, principal):
                table.add_row(
                    str(sub.id),
                    sub.url,
                    ", ".join(sub.event_types or ["(all)"]),
                    "yes" if sub.active else "no",
                    rfc3339(sub.created_at) or "",
                )
        console.print(table)


@app.command("deliveries")
@friendly
def deliveries(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's id.")],
    status: Annotated[
        str | None, typer.Option(help="Only PENDING, DELIVERED or FAILED deliveries.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many rows, oldest first.")] = 50,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Show a subscription's delivery log: attempts, last HTTP status or error."""
    with _opened() as ctx:
        principal = _principal(ctx, workspace)
        table = Table("id", "event", "type", "status", "attempts", "last code", "last error")
        with ctx.db.read() as session:
            rows, _ = service.list_deliveries(
                session, principal, subscription_id, status=status, cursor=None, limit=limit
            )
        for delivery, type_ in rows:
            table.add_row(
                str(delivery.id),
                str(delivery.event_id),
                type_,
                delivery.status,
                str(delivery.attempts),
                str(delivery.last_status_code or ""),
                (delivery.last_error or "")[:60],
            )
        console.print(table)


@app.command("replay")
@friendly
def replay(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's id.")],
    status: Annotated[
        list[str] | None,
        typer.Option(help="Replay deliveries that ended so: FAILED (default) and/or DELIVERED."),
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Only events at or after this time (UTC).")
    ] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Queue finished deliveries' events again (the running deliverer sends them)."""
    with _opened() as ctx:
        principal = _principal(ctx, workspace)
        with ctx.db.write() as session:
            queued = service.replay(
                session,
                principal,
                subscription_id,
                statuses=[s.upper() for s in status] if status else ["FAILED"],
                since=since if since is None or since.tzinfo else since.replace(tzinfo=UTC),
                at=ctx.clock.now(),
            )
        console.print(f"[green]{queued} events queued again[/] for subscription {subscription_id}")


@app.command("prune")
@friendly
def prune(
    older_than: Annotated[
        str, typer.Option(help="Delete delivered events older than this (e.g. 7d, 12h).")
    ] = "7d",
) -> None:
    """Delete outbox events every subscription has received, with their delivery log rows."""
    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise InvalidInput(f"--older-than: {exc}") from None
    with _opened() as ctx:
        before = ctx.clock.now() - age
        pruned = service.prune(ctx.db, before=before)
        console.print(f"[green]pruned {pruned} events[/] older than {older_than}")
