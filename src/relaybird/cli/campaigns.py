"""Campaigns from the shell: create, upload a list (with a progress bar), start/pause/resume/end,
show, export. `relaybird campaign watch` (cli/status.py) follows a running one."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from relaybird.auth import service as auth
from relaybird.campaigns import export as export_csv
from relaybird.campaigns import service, uploads
from relaybird.campaigns.schemas import CampaignCreate, TemplateSpec
from relaybird.cli.common import console, context, friendly
from relaybird.cli.status import campaign_app

WorkspaceOpt = Annotated[str, typer.Option(help="Workspace slug.")]
IdArg = Annotated[int, typer.Argument(help="The campaign's id.")]
ACTOR = "cli"


def register() -> None:
    for name, fn in (
        ("create", create),
        ("upload", upload),
        ("start", start),
        ("pause", pause),
        ("resume", resume),
        ("end", end),
        ("show", show),
        ("export", export),
    ):
        campaign_app.command(name)(fn)


@friendly
def create(
    name: Annotated[str, typer.Option(help="The campaign's name.")],
    sender: Annotated[int, typer.Option(help="Sender id.")],
    template: Annotated[str, typer.Option(help="Approved template name.")],
    language: Annotated[str, typer.Option(help="Template language, e.g. en_US.")] = "en_US",
    param: Annotated[
        list[str] | None, typer.Option(help="Upload column for body parameter {{n}}, in order.")
    ] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Create a campaign (NOT_STARTED)."""
    ctx = context()
    body = CampaignCreate(
        name=name,
        sender_id=sender,
        template=TemplateSpec(name=template, language=language, body_params=param or []),
    )
    with ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace)
        campaign = service.create(session, ws.id, body, actor=ACTOR, at=ctx.clock.now())
    console.print(f"campaign [bold]{campaign.id}[/] created (NOT_STARTED)")


@friendly
def upload(
    campaign_id: IdArg,
    file: Annotated[Path, typer.Argument(help="CSV or XLSX; a `phone` column.", exists=True)],
    workspace: WorkspaceOpt = "default",
) -> None:
    """Import a recipient list, streamed, with a progress bar; then the summary."""
    ctx = context()
    with ctx.db.read() as session:
        ws_id = auth.find_workspace(session, workspace).id
    with tempfile.NamedTemporaryFile(prefix="relaybird-upload-", delete=False) as out:
        with file.open("rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        spool = Path(out.name)
    try:
        import_id = uploads.begin(ctx, ws_id, campaign_id, file.name, spool)
    except BaseException:
        spool.unlink(missing_ok=True)
        raise
    done = uploads.start_thread(ctx, import_id, spool, file.name)
    columns = (
        TextColumn("[bold]importing"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("import", total=1.0, rows=0)
        while True:
            finished = done.wait(0.25)
            summary = uploads.status(ctx, ws_id, campaign_id, import_id)
            bar.update(task, completed=summary.progress, rows=summary.rows)
            if finished:
                break
    if summary.state != "DONE":
        console.print(f"[red]import {summary.state}:[/] {summary.failure}")
        raise typer.Exit(1)
    console.print(
        f"[green]{summary.accepted:,} accepted[/], [yellow]{summary.invalid:,} invalid[/]"
    )
    for err in summary.errors[:10]:
        console.print(f"  row {err.row}: {err.reason}")


def _move(campaign_id: int, workspace: str, action: str) -> None:
    ctx = context()
    now = ctx.clock.now()
    with ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace).id
        if action == "start":
            service.start(session, ws, campaign_id, actor=ACTOR, at=now)
        elif action == "pause":
            service.pause(session, ws, campaign_id, actor=ACTOR, at=now)
        elif action == "resume":
            service.resume(session, ws, campaign_id, actor=ACTOR, at=now)
        else:
            service.end(session, ws, campaign_id, actor=ACTOR, at=now)
    if action == "end":
        while True:
            with ctx.db.write() as session:
                if not service.cancel_waiting(session, campaign_id, actor=ACTOR, at=now):
                    break
    _show(campaign_id, workspace)


@friendly
def start(campaign_id: IdArg, workspace: WorkspaceOpt = "default") -> None:
    """NOT_STARTED → RUNNING (a running `relaybird serve` or `worker` sends it)."""
    _move(campaign_id, workspace, "start")


@friendly
def pause(campaign_id: IdArg, workspace: WorkspaceOpt = "default") -> None:
    """RUNNING → PAUSED."""
    _move(campaign_id, workspace, "pause")


@friendly
def resume(campaign_id: IdArg, workspace: WorkspaceOpt = "default") -> None:
    """PAUSED → RUNNING (also after the engine paused it)."""
    _move(campaign_id, workspace, "resume")


@friendly
def end(campaign_id: IdArg, workspace: WorkspaceOpt = "default") -> None:
    """→ ENDED; waiting recipients become CANCELED_BY_ADMIN."""
    _move(campaign_id, workspace, "end")


@friendly
def show(campaign_id: IdArg, workspace: WorkspaceOpt = "default") -> None:
    """A campaign's state and per-state counts."""
    _show(campaign_id, workspace)


def _show(campaign_id: int, workspace: str) -> None:
    ctx = context()
    with ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace).id
        s = service.summary(session, ws, campaign_id)
    c = s.campaign
    table = Table(title=f"campaign {c.id} · {c.name} · {c.state}")
    table.add_column("state")
    table.add_column("recipients", justify="right")
    for state, n in s.counts.items():
        if n:
            table.add_row(state, f"{n:,}")
    console.print(table)
    note = s.waiting_reason or c.pause_reason
    if note:
        console.print(f"[yellow]{note}[/]")
    console.print(f"replies: {c.reply_count:,} ({s.reply_rate:.1%})")


@friendly
def export(
    campaign_id: IdArg,
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("campaign.csv"),
    workspace: WorkspaceOpt = "default",
) -> None:
    """Write every recipient with its state, wamid, error and reply to a CSV file."""
    ctx = context()
    with ctx.db.read() as session:
        service.get(session, auth.find_workspace(session, workspace).id, campaign_id)
        with out.open("w", newline="") as fh:
            for chunk in export_csv.lines(session, campaign_id):
                fh.write(chunk)
    console.print(f"wrote {out}")
