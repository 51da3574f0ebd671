"""WhatsApp message templates from the shell: sync a sender's catalogue, list it, show one
template with its slots and history, check the rate card."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from relaybird.auth import service as auth
from relaybird.cli.common import console, friendly, opened
from relaybird.kit.time import rfc3339
from relaybird.templates import pricing, service, sync
from relaybird.templates.schemas import TemplateHistoryItem
from relaybird.templates.slots import describe
from relaybird.templates.transitions import TemplateStatus

app = typer.Typer(
    help="WhatsApp message templates: sync a sender's catalogue from Meta, list, show, rates.",
    no_args_is_help=True,
)

WorkspaceOpt = Annotated[str, typer.Option(help="Workspace slug.")]


@app.command("sync")
@friendly
def sync_(
    sender_id: Annotated[int, typer.Argument(help="The sender's id (`relaybird senders list`).")],
    workspace: WorkspaceOpt = "default",
) -> None:
    """Read every template of the sender's WhatsApp Business Account from Meta now (all
    pages) and apply it: new ones appear, changes are recorded, vanished ones become DELETED."""
    with opened() as ctx:
        with ctx.db.read() as session:
            ws = auth.find_workspace(session, workspace).id

        async def run() -> service.SyncResult:
            try:
                return await sync.sync_sender_templates(ctx, ws, sender_id, actor="cli")
            finally:
                await ctx.aclose()  # the adapters belong to this event loop

        result = asyncio.run(run())
        console.print(
            f"account [bold]{result.waba_id}[/]: {result.total} templates listed; "
            f"{result.created} new, {result.moved} changed status, {result.updated} updated, "
            f"{result.deleted} deleted"
        )
        for line in result.skipped:
            console.print(f"  [yellow]skipped[/] {line}")


@app.command("list")
@friendly
def list_(
    sender: Annotated[
        int | None, typer.Option(help="Only the catalogue of this sender's account.")
    ] = None,
    status: Annotated[TemplateStatus | None, typer.Option(help="Only this status.")] = None,
    name: Annotated[str | None, typer.Option(help="Name contains this.")] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """The catalogue: one row per (name, language) with status, category and quality."""
    with opened() as ctx:
        table = Table("id", "name", "language", "status", "category", "quality", "account")
        with ctx.db.read() as session:
            ws = auth.find_workspace(session, workspace).id
            cursor: str | None = None
            while True:
                page = service.list_templates(
                    session,
                    ws,
                    sender_id=sender,
                    status=status,
                    name=name,
                    cursor=cursor,
                    limit=500,
                )
                for t in page.items:
                    table.add_row(
                        str(t.id),
                        t.name,
                        t.language,
                        t.status,
                        t.category or "—",
                        t.quality_score,
                        t.waba_id,
                    )
                cursor = page.next_cursor
                if cursor is None:
                    break
        console.print(table)


@app.command("show")
@friendly
def show(
    template_id: Annotated[
        int, typer.Argument(help="The template's id (`relaybird templates list`).")
    ],
    workspace: WorkspaceOpt = "default",
) -> None:
    """One template: status and Meta's reason, its parameter slots, its history."""
    with opened() as ctx:
        with ctx.db.read() as session:
            ws = auth.find_workspace(session, workspace).id
            t = service.get_template(session, ws, template_id)
            slots = service.slots_of(t)
            rows = [TemplateHistoryItem.of(r) for r in service.history_of(session, ws, template_id)]
        info = Table(show_header=False, title=f"template {t.id}: {t.name} ({t.language})")
        info.add_row("status", t.status + (f" — {t.status_reason}" if t.status_reason else ""))
        info.add_row(
            "category",
            (t.category or "—")
            + (
                f" (Meta moves it to {t.pending_category} at {rfc3339(t.pending_category_at)})"
                if t.pending_category
                else ""
            ),
        )
        info.add_row("quality", t.quality_score)
        info.add_row("parameters", t.parameter_format)
        info.add_row("account / Meta id", f"{t.waba_id} / {t.meta_id}")
        info.add_row("body", slots.body_text)
        console.print(info)
        console.print("[bold]slots[/]")
        for line in describe(slots):
            console.print(f"  {line}")
        history = Table("when", "what", "from", "to", "event", "by", "why", title="history")
        for r in rows:
            history.add_row(
                rfc3339(r.created_at) or "",
                r.field,
                r.from_state or "—",
                r.to_state or "—",
                r.event,
                r.actor,
                r.reason or "",
            )
        console.print(history)


@app.command("rates")
@friendly
def rates() -> None:
    """The rate card in use (RELAYBIRD_TEMPLATE_RATE_CARD, else the built-in one): its date,
    source and price per delivered message by market and category. Fails with the reason when
    the file is malformed."""
    with opened() as ctx:
        try:
            card = pricing.load_rate_card(ctx.settings.template_rate_card)
        except pricing.RateCardError as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from None
    console.print(f"rate card effective [bold]{card.effective}[/], {card.currency}; {card.source}")
    if card.note:
        console.print(f"[dim]{card.note}[/]")
    table = Table("market", *pricing.CATEGORIES)
    for market, prices in card.rates.items():
        table.add_row(market, *(str(prices[c]) if prices else "—" for c in pricing.CATEGORIES))
    console.print(table)
