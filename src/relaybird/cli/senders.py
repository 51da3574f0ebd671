"""Sender numbers from the shell: add, list, show (health and history), sync."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from relaybird.auth import service as auth
from relaybird.cli.common import JsonOpt, console, friendly, opened, print_json
from relaybird.config import LimitModel
from relaybird.kit.time import rfc3339
from relaybird.senders import detail, service, sync
from relaybird.senders.schemas import HistoryItem, SenderDetail
from relaybird.senders.service import NewSender

app = typer.Typer(
    help="Sender numbers: add, list, show health and history, sync.", no_args_is_help=True
)

WorkspaceOpt = Annotated[str, typer.Option(help="Workspace slug.")]
SenderArg = Annotated[int, typer.Argument(help="The sender's id (`relaybird senders list`).")]
TOKEN_ENV = "RELAYBIRD_SENDER_ACCESS_TOKEN"  # noqa: S105 (a variable name)


@app.command("add")
@friendly
def add(
    name: Annotated[str, typer.Option(help="A name people recognise.")],
    phone_number_id: Annotated[str, typer.Option(help="The provider's phone-number id.")],
    display_phone_number: Annotated[str, typer.Option(help="The number as people see it.")],
    access_token: Annotated[
        str | None,
        typer.Option(
            envvar=TOKEN_ENV,
            show_envvar=True,
            help=f"The provider access token. Better left out: prompted for (hidden), or read "
            f"from {TOKEN_ENV}.",
        ),
    ] = None,
    waba_id: Annotated[str | None, typer.Option(help="Business account (portfolio) id.")] = None,
    limit_model: Annotated[
        LimitModel | None, typer.Option(help="Default: the workspace's model.")
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Add a number (its token must be able to read it at the provider). It is PENDING until
    `relaybird senders sync` confirms registration."""
    with opened() as ctx:
        if access_token is None:
            access_token = typer.prompt("Access token", hide_input=True)
        with ctx.db.write() as session:
            ws = auth.ensure_workspace(
                session, workspace, limit_model=ctx.settings.default_limit_model.value
            ).id
        new = NewSender(
            name, phone_number_id, display_phone_number, access_token, waba_id, limit_model
        )

        async def run() -> int:
            try:
                return await sync.add_proven(ctx, ws, new, actor="cli")
            finally:
                await ctx.aclose()  # the adapters belong to this event loop

        sender_id = asyncio.run(run())
        with ctx.db.read() as session:
            status = service.get_sender(session, ws, sender_id).status
            if json_out:
                print_json(detail.describe(session, ws, sender_id, ctx.clock.now()))
                return
        console.print(
            f"added sender [bold]{sender_id}[/] ({status}); next: "
            f"`relaybird senders sync {sender_id}`"
        )


@app.command("list")
@friendly
def list_(workspace: WorkspaceOpt = "default", json_out: JsonOpt = False) -> None:
    """Every number of the workspace with status, quality and limit."""
    with opened() as ctx:
        table = Table("id", "name", "number", "status", "quality", "limit", "model")
        items = []
        with ctx.db.read() as session:
            ws = auth.find_workspace(session, workspace).id
            cursor: str | None = None
            while True:
                page = detail.listing(session, ws, cursor, 500)
                items.extend(page.items)
                for s in page.items:
                    table.add_row(
                        str(s.id),
                        s.name,
                        s.display_phone_number,
                        s.status,
                        s.quality_rating,
                        s.messaging_limit,
                        s.limit_model,
                    )
                cursor = page.next_cursor
                if cursor is None:
                    break
        if json_out:
            print_json(items)
            return
        console.print(table)


@app.command("show")
@friendly
def show(
    sender_id: SenderArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """A number's health (status, quality, limit usage, throughput, next moment) and history."""
    with opened() as ctx:
        with ctx.db.read() as session:
            ws = auth.find_workspace(session, workspace).id
            d = detail.describe(session, ws, sender_id, ctx.clock.now())
            rows = service.history_of(session, ws, sender_id)
        if json_out:
            items = [HistoryItem.model_validate(r, from_attributes=True) for r in rows]
            print_json(
                {**d.model_dump(mode="json"), "history": [h.model_dump(mode="json") for h in items]}
            )
            return
        _print_detail(d)
        history = Table("when", "from", "to", "event", "by", "why", title="history")
        for r in rows:
            history.add_row(
                rfc3339(r.created_at) or "",
                r.from_state or "—",
                r.to_state or "—",
                r.event,
                r.actor,
                r.reason or "",
            )
        console.print(history)


@app.command("sync")
@friendly
def sync_(
    sender_id: SenderArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """Read the number's fields from the provider now and apply them."""
    with opened() as ctx:
        with ctx.db.read() as session:
            ws = auth.find_workspace(session, workspace).id

        async def run() -> None:
            try:
                await sync.sync_sender(ctx, sender_id, actor="cli", workspace_id=ws)
            finally:
                await ctx.aclose()  # the adapters belong to this event loop

        asyncio.run(run())
        with ctx.db.read() as session:
            d = detail.describe(session, ws, sender_id, ctx.clock.now())
        if json_out:
            print_json(d)
            return
        _print_detail(d)


_RESTRICTED_BY = {
    "LIMIT": "LIMIT (the moving 24 h window reached the messaging limit)",
    "PROVIDER": "PROVIDER (Meta restricted the number)",
}


def _print_detail(d: SenderDetail) -> None:
    usage = d.usage
    limit = "unlimited" if usage.limit is None else f"{usage.limit:,}"
    table = Table(show_header=False, title=f"sender {d.id}: {d.name}")
    table.add_row("number", d.display_phone_number)
    table.add_row("status", d.status + (f" ({d.status_reason})" if d.status_reason else ""))
    if d.restricted_by is not None:
        table.add_row("restricted by", _RESTRICTED_BY[d.restricted_by])
    table.add_row("provider status", d.provider_status or "—")
    table.add_row("quality", d.quality_rating)
    table.add_row("limit", f"{d.messaging_limit} ({d.limit_model})")
    table.add_row(
        "usage (24 h)",
        f"{usage.used:,} / {limit}"
        + (f" shared by {usage.shared_by} numbers" if usage.shared_by > 1 else ""),
    )
    table.add_row("throughput", f"{d.throughput} msg/s")
    sending = "yes" if d.sending.business_initiated else f"no: {d.sending.reason}"
    table.add_row("may send templates", sending)
    table.add_row("may reply", "yes" if d.sending.replies else "no")
    table.add_row("next", d.next.text if d.next else "—")
    console.print(table)
