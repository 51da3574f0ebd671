"""The suppression list from the shell: numbers the workspace does not send templates to."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from relaybird.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    fail,
    friendly,
    opened,
    principal,
    show,
    table,
)
from relaybird.consent import service
from relaybird.consent.schemas import Source, SuppressionIn, SuppressionOut

app = typer.Typer(
    help="Suppressions: numbers that opted out (STOP, Meta's marketing stop, 131050), were "
    "added by hand, or bounced. Campaigns never send them marketing templates.",
    no_args_is_help=True,
)


def _table(items: list[SuppressionOut]) -> object:
    rows = [(s.phone, s.source.value, s.reason or "", s.created_by, s.created_at) for s in items]
    return table(("phone", "source", "reason", "by", "since"), rows)


@app.command("add")
@friendly
def add(
    phone: Annotated[
        str, typer.Argument(help="The number (E.164, or national in the default region).")
    ],
    reason: Annotated[str | None, typer.Option(help="Why, for people.")] = None,
    source: Annotated[Source, typer.Option(help="Why it is suppressed.")] = Source.MANUAL,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Suppress a number (idempotent: an existing suppression keeps its first reason)."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        body = SuppressionIn(phone=phone, source=source, reason=reason)
        with ctx.db.write() as session:
            row = service.add(
                session,
                who.workspace_id,
                body,
                region=ctx.settings.default_region,
                actor=who.actor,
                now=ctx.clock.now(),
            )
            out = service.to_out(row)
    show(out, json_out, lambda: _table([out]))


@app.command("remove")
@friendly
def remove(
    phone: Annotated[str, typer.Argument(help="The number.")],
    workspace: WorkspaceOpt = "default",
) -> None:
    """Lift a number's suppression, whatever its source."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            service.remove(
                session,
                who.workspace_id,
                phone,
                region=ctx.settings.default_region,
                actor=who.actor,
                now=ctx.clock.now(),
            )
    console.print("lifted")


@app.command("list")
@friendly
def list_(
    source: Annotated[Source | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    cursor: Annotated[str | None, typer.Option(help="`next_cursor` of the previous page.")] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """The suppression list, oldest first, a page at a time."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            found = service.page(
                session, who.workspace_id, cursor=cursor, limit=limit, source=source
            )

    def render() -> object:
        out = _table(list(found.items))
        if found.next_cursor:
            console.print(f"more: --cursor {found.next_cursor}")
        return out

    show(found, json_out, render)


@app.command("import")
@friendly
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV with a `phone` column (and `source`, `reason`).")
    ],
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Add the numbers of a CSV file (invalid rows are reported, the rest added)."""
    if not file.is_file():
        fail(f"{file}: no such file")
    data = file.read_bytes()
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            summary = service.import_csv(
                session,
                who.workspace_id,
                data,
                region=ctx.settings.default_region,
                actor=who.actor,
                now=ctx.clock.now(),
            )
    show(
        summary,
        json_out,
        lambda: table(
            ("rows", "added", "already", "invalid"),
            [(summary.rows, summary.added, summary.already, summary.invalid)],
        ),
    )


@app.command("export")
@friendly
def export(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")
    ] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """The list as CSV (phone, source, reason, created_at); `import` reads it back."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            if out is None:
                for chunk in service.export_rows(session, who.workspace_id):
                    sys.stdout.write(chunk)
                return
            with out.open("w", encoding="utf-8", newline="") as handle:
                for chunk in service.export_rows(session, who.workspace_id):
                    handle.write(chunk)
