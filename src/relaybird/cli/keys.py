"""API keys from the shell: create, list, revoke."""

from __future__ import annotations

from typing import Annotated

import typer

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.auth.schemas import KeyCreated, KeyOut
from relaybird.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    friendly,
    opened,
    principal,
    print_json,
    table,
)
from relaybird.kit.time import rfc3339

app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)


@app.command("create")
@friendly
def create(
    role: Annotated[Role, typer.Option(help="admin, agent or viewer.")],
    workspace: Annotated[str, typer.Option(help="Workspace slug; created if missing.")] = "default",
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    json_out: JsonOpt = False,
) -> None:
    """Create an API key and print it once. Only its hash is stored."""
    with opened() as ctx, ctx.db.write() as session:
        ws = auth.ensure_workspace(
            session, workspace, limit_model=ctx.settings.default_limit_model.value
        )
        created = auth.create_key(
            session, workspace_id=ws.id, role=role, name=name, at=ctx.clock.now()
        )
    if json_out:
        out = KeyOut.of(created.key)
        print_json(KeyCreated(**out.model_dump(), key=created.secret))
        return
    console.print(f"[bold]{created.secret}[/]")
    console.print(
        f"[dim]{role.value} key for workspace '{workspace}'. It is shown once; store it now.[/]",
        highlight=False,
    )


@app.command("list")
@friendly
def list_(workspace: WorkspaceOpt = "default", json_out: JsonOpt = False) -> None:
    """The workspace's API keys (prefix, role, created, revoked); never the keys themselves."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            keys = [KeyOut.of(k) for k in auth.list_keys(session, who)]
    if json_out:
        print_json(keys)
        return
    rows = [
        (k.id, k.name, k.role.value, k.prefix, rfc3339(k.created_at), rfc3339(k.revoked_at) or "")
        for k in keys
    ]
    console.print(table(("id", "name", "role", "prefix", "created", "revoked"), rows))


@app.command("revoke")
@friendly
def revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (`relaybird keys list`).")],
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Revoke an API key: every request with it is refused from now on."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            auth.revoke(session, who, key_id, ctx.clock.now())
    if json_out:
        print_json({"id": key_id, "revoked": True})
        return
    console.print(f"key {key_id} revoked")
