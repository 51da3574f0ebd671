"""Outgoing events from the shell: subscriptions, the delivery log, replay, pruning."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from relaybird.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    friendly,
    print_json,
    show,
    table,
)
from relaybird.cli.common import opened as _opened
from relaybird.cli.common import principal as _principal
from relaybird.errors import InvalidInput
from relaybird.events import service
from relaybird.events.schemas import DeliveryOut, SubscriptionCreated, SubscriptionOut
from relaybird.kit.durations import parse_duration
from relaybird.kit.time import rfc3339

app = typer.Typer(
    help="Outgoing events: subscriptions, delivery logs, replay.", no_args_is_help=True
)

SubArg = Annotated[int, typer.Argument(help="The subscription's id (`relaybird events list`).")]


def _subs_table(items: list[SubscriptionOut]) -> Any:
    rows = [
        (
            s.id,
            s.url,
            ", ".join(s.event_types or ["(all)"]),
            "yes" if s.active else "no",
            rfc3339(s.created_at),
        )
        for s in items
    ]
    return table(("id", "url", "event types", "active", "created"), rows)


@app.command("list")
@friendly
def list_subscriptions(workspace: WorkspaceOpt = "default", json_out: JsonOpt = False) -> None:
    """List the workspace's event subscriptions."""
    with _opened() as ctx:
        principal = _principal(ctx, workspace)
        with ctx.db.read() as session:
            items = [
                SubscriptionOut.model_validate(sub, from_attributes=True)
                for sub in service.list_subscriptions(session, principal)
            ]
    show(items, json_out, lambda: _subs_table(items))


@app.command("subscribe")
@friendly
def subscribe(
    url: Annotated[
        str,
        typer.Argument(
            help="Where events are POSTed: http(s), a public address on port 80, 443 or "
            "1024+ (or a network in RELAYBIRD_EVENT_PRIVATE_NETWORKS)."
        ),
    ],
    event_type: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="Only this type, e.g. campaign.state_changed or recipient.* (repeatable; "
            "default: every event).",
        ),
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Subscribe a URL to outgoing events; prints the signing secret once."""
    with _opened() as ctx:
        principal = _principal(ctx, workspace)
        with ctx.db.write() as session:
            created = service.create_subscription(
                session,
                principal,
                url=url,
                event_types=event_type,
                at=ctx.clock.now(),
                allowed=ctx.settings.event_networks,
            )
            out = SubscriptionOut.model_validate(created.subscription, from_attributes=True)
    if json_out:
        print_json(SubscriptionCreated(**out.model_dump(), secret=created.secret))
        return
    console.print(_subs_table([out]))
    console.print(f"signing secret (shown once): [bold]{created.secret}[/]")


@app.command("show")
@friendly
def show_subscription(
    subscription_id: SubArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """One event subscription."""
    with _opened() as ctx:
        principal = _principal(ctx, workspace)
        with ctx.db.read() as session:
            out = SubscriptionOut.model_validate(
                service.get_subscription(session, principal, subscription_id),
                from_attributes=True,
            )
    show(out, json_out, lambda: _subs_table([out]))


@app.command("delete")
@friendly
def delete_subscription(
    subscription_id: SubArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """Delete a subscription: deliveries stop at once, its delivery log goes with it."""
    with _opened() as ctx:
        principal = _principal(ctx, workspace)
        with ctx.db.write() as session:
            service.delete_subscription(session, principal, subscription_id)
    if json_out:
        print_json({"id": subscription_id, "deleted": True})
        return
    console.print(f"subscription {subscription_id} deleted")


@app.command("deliveries")
@friendly
def deliveries(
    subscription_id: SubArg,
    status: Annotated[
        str | None, typer.Option(help="Only PENDING, DELIVERED or FAILED deliveries.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many rows, oldest first.", min=1)] = 50,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Show a subscription's delivery log: attempts, last HTTP status or error."""
    with _opened() as ctx:
        principal = _principal(ctx, workspace)
        table = Table("id", "event", "type", "status", "attempts", "last code", "last error")
        with ctx.db.read() as session:
            rows, _ = service.list_deliveries(
                session,
                principal,
                subscription_id,
                status=status.upper() if status else None,
                cursor=None,
                limit=limit,
            )
        if json_out:
            print_json([DeliveryOut.of(d, t) for d, t in rows])
            return
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
    subscription_id: SubArg,
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
