"""`relaybird status` (senders and active campaigns at a glance) and `relaybird campaign watch`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from relaybird.auth import service as auth
from relaybird.campaigns import service as campaigns
from relaybird.campaigns.service import Summary
from relaybird.cli.common import console, context, friendly
from relaybird.context import AppContext
from relaybird.inbox import refusals
from relaybird.kit.time import readable
from relaybird.operations import service as ops

WorkspaceOpt = Annotated[str, typer.Option(help="Workspace slug.")]
FINAL_CAMPAIGN_STATES = ("COMPLETED", "ENDED")
STATUS_STYLE = {
    "CONNECTED": "green",
    "FLAGGED": "yellow",
    "RESTRICTED": "red",
    "BANNED": "bold red",
    "OFFLINE": "dim",
    "PENDING": "dim",
}

campaign_app = typer.Typer(help="Follow campaigns from the shell.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.add_typer(campaign_app, name="campaign")
    # The plural as an alias (`relaybird campaigns retry 3` as the README and issues write it).
    app.add_typer(campaign_app, name="campaigns", hidden=True)


@contextmanager
def _opened() -> Iterator[AppContext]:
    ctx = context()
    try:
        yield ctx
    finally:
        ctx.db.dispose()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


@friendly
def status(workspace: WorkspaceOpt = "default") -> None:
    """Senders (status, quality, messaging-limit usage) and running or paused campaigns."""
    with _opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace)
        now = ctx.clock.now()
        health = ops.sender_health(session, now, ws.id)
        active = ops.active_campaigns(session, ws.id, now=now)
        refused = refusals.recent(session, now)
    by_id = {h.sender.id: h for h in health}
    senders = Table(
        "id",
        "sender",
        "number",
        "status",
        "quality",
        "limit used (24 h)",
        "mps",
        title="Senders",
        title_justify="left",
    )
    for h in health:
        s = h.sender
        style = STATUS_STYLE.get(s.status, "")
        used = f"{h.used} / {h.capacity if h.capacity is not None else '∞'} ({_pct(h.usage)})"
        senders.add_row(
            str(s.id),
            s.name,
            s.display_phone_number,
            f"[{style}]{s.status}[/]",
            s.quality_rating,
            used,
            str(s.throughput_mps),
        )
    console.print(senders if health else "[dim]No senders yet.[/]")
    table = Table(
        "id",
        "campaign",
        "sender",
        "state",
        "progress",
        "sent",
        "failed",
        "pending",
        "ETA",
        "note",
        title="Running and paused campaigns",
        title_justify="left",
    )
    for summary in active:
        c = summary.campaign
        p = ops.progress(summary)
        sender = by_id.get(c.sender_id)
        left = ops.campaign_eta(summary, sender, now)
        table.add_row(
            str(c.id),
            c.name,
            sender.sender.name if sender else str(c.sender_id),
            c.state,
            _pct(p.fraction),
            str(ops.sent(summary)),
            str(ops.failed(summary)),
            str(p.pending),
            "–" if left is None or c.state != "RUNNING" else _duration(left.total_seconds()),
            summary.waiting_reason or c.pause_reason or "",
        )
    console.print(table if active else "[dim]No running or paused campaigns.[/]")
    if refused.count:
        when = readable(refused.last_at, now) if refused.last_at else "?"
        console.print(f"[red]{refused.line()} at {when}[/]", soft_wrap=True)
    else:
        console.print(f"[dim]{refused.line()}[/]")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


def _watched(
    ctx: AppContext, session: Session, workspace_id: int, campaign_id: int
) -> tuple[Summary, timedelta | None]:
    """The campaign's summary and ETA (send window included) as of the clock's now."""
    now = ctx.clock.now()
    summary = campaigns.summary(session, workspace_id, campaign_id, now=now)
    health = {h.sender.id: h for h in ops.sender_health(session, now, workspace_id)}
    return summary, ops.campaign_eta(summary, health.get(summary.campaign.sender_id), now)


@campaign_app.command("watch")
@friendly
def watch(
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")],
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 1.0,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Follow a campaign with a live progress bar until it completes or ends (Ctrl-C stops
    watching; the campaign keeps running)."""
    with _opened() as ctx:
        with ctx.db.read() as session:
            ws = auth.find_workspace(session, workspace)
            summary, left = _watched(ctx, session, ws.id, campaign_id)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            p = ops.progress(summary)
            task = bar.add_task(
                summary.campaign.name, total=p.total or 1, completed=p.done, detail=""
            )
            while True:
                p = ops.progress(summary)
                c = summary.campaign
                parts = ops.failed_detail(summary)
                detail = (
                    f"{c.state} · sent {ops.sent(summary)} · failed {ops.failed(summary)}"
                    + (f" ({parts})" if parts else "")
                    + f" · replies {c.reply_count}"
                )
                note = summary.waiting_reason or c.pause_reason
                if note:
                    detail += f" · {note}"
                if left is not None and c.state == "RUNNING":
                    detail += f" · ETA {_duration(left.total_seconds())}"
                bar.update(task, total=p.total or 1, completed=p.done, detail=detail)
                if c.state in FINAL_CAMPAIGN_STATES:
                    break
                time.sleep(interval)
                with ctx.db.read() as session:
                    summary, left = _watched(ctx, session, ws.id, campaign_id)
        console.print(f"campaign {campaign_id} is {summary.campaign.state}")
