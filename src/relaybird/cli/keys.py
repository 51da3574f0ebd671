"""API keys from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.cli.common import console, context, friendly

app = typer.Typer(help="Create API keys.", no_args_is_help=True)


@app.command("create")
@friendly
def create(
    role: Annotated[Role, typer.Option(help="admin, agent or viewer.")],
    workspace: Annotated[str, typer.Option(help="Workspace slug; created if missing.")] = "default",
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
) -> None:
    """Create an API key and print it once. Only its hash is stored."""
    ctx = context()
    with ctx.db.write() as session:
        ws = auth.ensure_workspace(
            session, workspace, limit_model=ctx.settings.default_limit_model.value
        )
        created = auth.create_key(
            session, workspace_id=ws.id, role=role, name=name, at=ctx.clock.now()
        )
    console.print(f"[bold]{created.secret}[/]")
    console.print(
        f"[dim]{role.value} key for workspace '{workspace}'. It is shown once; store it now.[/]",
        highlight=False,
    )
