"""The built-in outbox from the shell: invitations and notifications, queued or sent."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from relaybird.cli.common import (
    JsonOpt,
    LimitOpt,
    WorkspaceOpt,
    console,
    friendly,
    opened,
    principal,
    print_json,
    show,
    table,
)
from relaybird.kit.time import rfc3339
from relaybird.mail import service
from relaybird.mail.schemas import EmailOut, EmailStatus

app = typer.Typer(
    help="Outgoing e-mails (invitations, notifications): the built-in outbox.",
    no_args_is_help=True,
)


def _table(items: list[EmailOut]) -> Any:
    rows = [
        (
            e.id,
            rfc3339(e.created_at),
            e.kind,
            e.status,
            e.to_address,
            e.subject,
            e.attempts,
            e.last_error or "",
        )
        for e in items
    ]
    return table(("id", "queued", "kind", "status", "to", "subject", "attempts", "error"), rows)


@app.command("list")
@friendly
def list_(
    to: Annotated[str | None, typer.Option(help="Only e-mails to this address.")] = None,
    kind: Annotated[str | None, typer.Option(help="invitation or notification.")] = None,
    status: Annotated[EmailStatus | None, typer.Option(help="QUEUED, SENT or FAILED.")] = None,
    limit: LimitOpt = 100,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """E-mails relaybird queued: without RELAYBIRD_SMTP_URL they stay QUEUED and are read here
    (`relaybird emails show ID` prints one with its link)."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            page = service.list_emails(
                session,
                who.workspace_id,
                to=to,
                kind=kind,
                status=status.value if status else None,
                cursor=None,
                limit=limit,
            )
            items = [EmailOut.model_validate(e, from_attributes=True) for e in page.items]
    show(items, json_out, lambda: _table(items))


@app.command("show")
@friendly
def show_(
    email_id: Annotated[int, typer.Argument(help="The e-mail's id (`relaybird emails list`).")],
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """One e-mail with its body."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            e = EmailOut.model_validate(
                service.get_email(session, who.workspace_id, email_id), from_attributes=True
            )
    if json_out:
        print_json(e)
        return
    console.print(_table([e]))
    console.print(e.body, markup=False, highlight=False)
