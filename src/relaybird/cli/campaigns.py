"""Campaigns from the shell: create, list, upload a list (with a progress bar),
start/pause/resume/end, show, recipients (list, one with its history, remove), export.
`relaybird campaign watch` (cli/status.py) follows a running one."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from relaybird.auth import service as auth
from relaybird.campaigns import export as export_csv
from relaybird.campaigns import retry, service, templating, uploads
from relaybird.campaigns.schemas import (
    CampaignCreate,
    CampaignOut,
    HistoryItem,
    RecipientOut,
    RetryRequest,
    SendWindowIn,
    TemplateSpec,
)
from relaybird.campaigns.transitions import RecipientState
from relaybird.cli import campaign_analytics
from relaybird.cli.common import (
    ACTOR,
    CliFailure,
    JsonOpt,
    LimitOpt,
    WorkspaceOpt,
    as_json,
    console,
    context,
    friendly,
    opened,
    print_json,
    table,
)
from relaybird.cli.common import show as show_out
from relaybird.cli.status import campaign_app
from relaybird.kit.time import rfc3339
from relaybird.templates.mapping import PAIR_HELP, SlotMapping, from_pairs

IdArg = Annotated[int, typer.Argument(help="The campaign's id (`relaybird campaign list`).")]
RecipientArg = Annotated[
    int, typer.Argument(help="The recipient's id (`relaybird campaign recipients`).")
]

WindowStart = Annotated[
    str | None,
    typer.Option(help="Send window: opens at this local time of each recipient (HH:MM)."),
]
WindowEnd = Annotated[
    str | None, typer.Option(help="Send window: closes at this local time (HH:MM, 24:00).")
]
WindowDays = Annotated[
    str | None,
    typer.Option(
        help="Send window: the days it opens, e.g. MON,TUE,WED,THU,FRI,SAT (default all)."
    ),
]
WindowZone = Annotated[
    str | None,
    typer.Option(
        help="Send window: its IANA zone (e.g. Europe/Prague), for recipients whose own zone "
        "is unknown (their number spans several zones)."
    ),
]
WindowOvernight = Annotated[
    bool, typer.Option(help="Send window: it runs past midnight (end before start).")
]


def register() -> None:
    for name, fn in (
        ("create", create),
        ("list", list_),
        ("upload", upload),
        ("start", start),
        ("pause", pause),
        ("resume", resume),
        ("end", end),
        ("retry", retry_),
        ("window", window),
        ("show", show),
        ("preview", preview),
        ("export", export),
        ("analytics", campaign_analytics.analytics),
        ("recipients", recipients),
        ("recipient", recipient),
        ("remove-recipient", remove_recipient),
    ):
        campaign_app.command(name)(fn)


@friendly
def create(
    name: Annotated[str, typer.Option(help="The campaign's name.")],
    sender: Annotated[int, typer.Option(help="Sender id.")],
    template: Annotated[
        str | None, typer.Option(help="Approved template name (or give --template-id).")
    ] = None,
    language: Annotated[str, typer.Option(help="Template language, e.g. en_US.")] = "en_US",
    template_id: Annotated[
        int | None,
        typer.Option(help="A template of the sender's catalogue (`relaybird templates list`)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(help="The upload column filling the template's next body parameter."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Fill one slot of the catalogue template (repeat for each): " + PAIR_HELP + ". "
            "`relaybird templates show ID` lists the slots.",
        ),
    ] = None,
    quality_guard: Annotated[
        bool,
        typer.Option(help="Pause when the sender is FLAGGED or the template's quality is RED."),
    ] = False,
    quality_guard_yellow: Annotated[
        bool, typer.Option(help="With --quality-guard: a YELLOW template pauses it too.")
    ] = False,
    auto_resume: Annotated[
        bool,
        typer.Option(help="Resume by itself when Meta un-pauses the template that paused it."),
    ] = False,
    window_start: WindowStart = None,
    window_end: WindowEnd = None,
    window_days: WindowDays = None,
    window_zone: WindowZone = None,
    window_overnight: WindowOvernight = False,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Create a campaign (NOT_STARTED). Body-only templates: repeat --param for each body
    parameter, in order. Headers, buttons, named parameters, constants: --template-id (or
    --template/--language) with one --map per slot, checked against the synced catalogue, e.g.
    --map header.image=link:https://cdn.example.com/a.jpg --map body.1=column:first_name
    --map 'buttons[0].url=column:coupon'."""
    ctx = context()
    if template is None and template_id is None:
        raise CliFailure("name the template: --template NAME (with --language) or --template-id")
    try:
        pairs = from_pairs(map_) if map_ else None
    except ValueError as exc:
        raise CliFailure(str(exc), code=2) from None
    mapping = None if pairs is None else SlotMapping.model_validate(pairs)
    body = CampaignCreate(
        name=name,
        sender_id=sender,
        template=TemplateSpec(
            template_id=template_id,
            name=template,
            language=language if template is not None else None,
            body_params=param or [],
            mapping=mapping,
        ),
        quality_guard=quality_guard,
        quality_guard_yellow=quality_guard_yellow,
        auto_resume=auto_resume,
        send_window=_window(window_start, window_end, window_days, window_zone, window_overnight),
    )
    with ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace)
        now = ctx.clock.now()
        campaign = service.create(session, ws.id, body, actor=ACTOR, at=now)
        out = service.to_out(service.summaries(session, [campaign], now=now)[0])
    if json_out:
        print_json(out)
        return
    console.print(f"campaign [bold]{campaign.id}[/] created (NOT_STARTED)")


def _window(
    start: str | None, end: str | None, days: str | None, zone: str | None, overnight: bool
) -> SendWindowIn | None:
    """The window the --window-* options describe; None when none is given."""
    if start is None and end is None and days is None and zone is None and not overnight:
        return None
    if start is None or end is None or zone is None:
        raise CliFailure(
            "a send window needs --window-start, --window-end and --window-zone", code=2
        )
    picked = [d.strip() for d in days.split(",") if d.strip()] if days is not None else None
    extra: dict[str, Any] = {} if picked is None else {"days": picked}
    return SendWindowIn(start=start, end=end, time_zone=zone, overnight=overnight, **extra)


@friendly
def window(
    campaign_id: IdArg,
    start: WindowStart = None,
    end: WindowEnd = None,
    days: WindowDays = None,
    zone: WindowZone = None,
    overnight: WindowOvernight = False,
    clear: Annotated[bool, typer.Option(help="Remove the send window (send at any time).")] = False,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Set (--start, --end, --zone, [--days], [--overnight]) or --clear a campaign's send
    window: recipients are sent to only while it is open in their own time zone."""
    ctx = context()
    chosen = None if clear else _window(start, end, days, zone, overnight)
    if chosen is None and not clear:
        raise CliFailure("give the window (--start, --end, --zone) or --clear", code=2)
    with ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace).id
        now = ctx.clock.now()
        stored = None if chosen is None else chosen.stored()
        service.set_window(session, ws, campaign_id, stored, at=now)
        out = service.to_out(service.summary(session, ws, campaign_id, now=now))
    if json_out:
        print_json(out)
        return
    said = out.send_window.description if out.send_window else "none (any time)"
    console.print(f"campaign {campaign_id}: send window {said}")


@friendly
def preview(
    campaign_id: IdArg,
    row: Annotated[
        int | None, typer.Option(help="File row (the header is row 1); default: the first.")
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """The message one recipient will get: header, body with its values, footer, buttons, and
    the request that goes to Meta (or why the row cannot be sent)."""
    ctx = context()
    with ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace)
        campaign = service.get(session, ws.id, campaign_id)
        out = templating.preview_out(campaign, templating.preview(session, campaign, row))
    if json_out:
        print_json(out)
        return
    console.print(f"row {out.row} → {out.phone or '-'} ({out.state.value}), {out.template}")
    for line in (out.header, out.body, out.footer, *out.buttons):
        if line:
            console.print(line, highlight=False, markup=False)
    for problem in [out.invalid_reason, *out.problems]:
        if problem:
            console.print(f"[red]cannot be sent:[/] {problem}", highlight=False)


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


def _move(campaign_id: int, workspace: str, action: str, json_out: bool) -> None:
    with opened() as ctx:
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
    _show(campaign_id, workspace, json_out)


@friendly
def start(
    campaign_id: IdArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """NOT_STARTED → RUNNING (a running `relaybird serve` or `worker` sends it)."""
    _move(campaign_id, workspace, "start", json_out)


@friendly
def pause(
    campaign_id: IdArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """RUNNING → PAUSED."""
    _move(campaign_id, workspace, "pause", json_out)


@friendly
def resume(
    campaign_id: IdArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """PAUSED → RUNNING (also after the engine paused it)."""
    _move(campaign_id, workspace, "resume", json_out)


@friendly
def retry_(
    campaign_id: IdArg,
    state: Annotated[
        list[RecipientState] | None,
        typer.Option(
            "--state",
            help="A final state to retry (repeatable); default ERROR and DELIVERY_FAILED.",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Default: '<name> (retry)'.")] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """A finished campaign's failed recipients → a new NOT_STARTED campaign linked to it (the
    first one is not changed; numbers not on WhatsApp and opted-out numbers are left out)."""
    body = RetryRequest(name=name) if not state else RetryRequest(states=state, name=name)
    with opened() as ctx, ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace).id
        child = retry.retry(
            session,
            ws,
            campaign_id,
            body,
            settings=ctx.settings,
            actor=ACTOR,
            at=ctx.clock.now(),
        )
        child_id = child.id
    if not json_out:
        console.print(f"campaign {child_id} created from campaign {campaign_id}")
    _show(child_id, workspace, json_out)


@friendly
def end(campaign_id: IdArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False) -> None:
    """→ ENDED; waiting recipients become CANCELED_BY_ADMIN."""
    _move(campaign_id, workspace, "end", json_out)


@friendly
def show(
    campaign_id: IdArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """A campaign's state and per-state counts."""
    _show(campaign_id, workspace, json_out)


def _show(campaign_id: int, workspace: str, json_out: bool = False) -> None:
    with opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace).id
        s = service.summary(session, ws, campaign_id, now=ctx.clock.now())
    if json_out:
        print_json(service.to_out(s))
        return
    c = s.campaign
    counts = Table(title=f"campaign {c.id} · {c.name} · {c.state}")
    counts.add_column("state")
    counts.add_column("recipients", justify="right")
    for state, n in s.counts.items():
        if n:
            counts.add_row(state, f"{n:,}")
    console.print(counts)
    note = s.waiting_reason or c.pause_reason
    if note:
        console.print(f"[yellow]{note}[/]")
    if s.window is not None:
        console.print(f"send window: {s.window.describe()}")
    console.print(f"replies: {c.reply_count:,} ({s.reply_rate:.1%})")


def _campaigns_table(items: list[CampaignOut]) -> Any:
    rows = [
        (
            c.id,
            c.name,
            c.state.value,
            c.sender_id,
            c.template.name,
            f"{c.total:,}",
            rfc3339(c.created_at),
            c.waiting_reason or c.pause_reason or "",
        )
        for c in items
    ]
    columns = ("id", "name", "state", "sender", "template", "recipients", "created", "note")
    return table(columns, rows)


@friendly
def list_(
    limit: LimitOpt = 100,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Every campaign of the workspace with its state and size."""
    with opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace).id
        summaries, _ = service.list_page(session, ws, after_id=None, limit=limit)
        items = [service.to_out(s) for s in summaries]
    show_out(items, json_out, lambda: _campaigns_table(items))


def _recipients_table(items: list[RecipientOut]) -> Any:
    rows = [
        (
            r.id,
            r.row_number,
            r.phone or "",
            r.state.value,
            r.attempts,
            r.wamid or "",
            f"{r.error_code} {r.error_title or ''}" if r.error_code else (r.invalid_reason or ""),
            rfc3339(r.updated_at),
        )
        for r in items
    ]
    columns = ("id", "row", "phone", "state", "attempts", "wamid", "error", "updated")
    return table(columns, rows)


@friendly
def recipients(
    campaign_id: IdArg,
    state: Annotated[RecipientState | None, typer.Option(help="Only this state.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, in upload order.", min=1)] = 100,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """A campaign's recipients with their state, attempts and last error."""
    with opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace).id
        rows, _ = service.recipients_page(
            session, ws, campaign_id, state=state, after_id=None, limit=limit
        )
        items = [RecipientOut.model_validate(r) for r in rows]
    show_out(items, json_out, lambda: _recipients_table(items))


@friendly
def recipient(
    campaign_id: IdArg,
    recipient_id: RecipientArg,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """One recipient and its history (every state change, oldest first)."""
    with opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace).id
        one = RecipientOut.model_validate(
            service.get_recipient(session, ws, campaign_id, recipient_id)
        )
        history = [
            HistoryItem.model_validate(r)
            for r in service.recipient_history(session, ws, campaign_id, recipient_id)
        ]
    if json_out:
        print_json({"recipient": one.model_dump(mode="json"), "history": as_json(history)})
        return
    console.print(_recipients_table([one]))
    console.print(
        table(
            ("when", "from", "to", "event", "by", "why"),
            [
                (rfc3339(h.created_at), h.from_state or "—", h.to_state, h.event, h.actor, h.reason)
                for h in history
            ],
            title="history",
        )
    )


@friendly
def remove_recipient(
    campaign_id: IdArg,
    recipient_id: RecipientArg,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """INITIAL or RETRY_SCHEDULED → REMOVED, while the campaign is NOT_STARTED or PAUSED."""
    with opened() as ctx, ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace).id
        service.remove_recipient(
            session, ws, campaign_id, recipient_id, actor=ACTOR, at=ctx.clock.now()
        )
        one = RecipientOut.model_validate(
            service.get_recipient(session, ws, campaign_id, recipient_id)
        )
    show_out(one, json_out, lambda: _recipients_table([one]))


@friendly
def export(
    campaign_id: IdArg,
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("campaign.csv"),
    workspace: WorkspaceOpt = "default",
) -> None:
    """Write every recipient with its state, wamid, error, reply, cost and its sent, delivered
    and read times to a CSV file."""
    ctx = context()
    with ctx.db.read() as session:
        service.get(session, auth.find_workspace(session, workspace).id, campaign_id)
        with out.open("w", newline="") as fh:
            for chunk in export_csv.lines(session, campaign_id):
                fh.write(chunk)
    console.print(f"wrote {out}")
