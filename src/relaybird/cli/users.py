"""Dashboard logins from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.cli.common import console, context, friendly

app = typer.Typer(help="Dashboard users and their passwords.", no_args_is_help=True)


@app.command("set-password")
@friendly
def set_password(
    email: Annotated[str, typer.Argument(help="The user's e-mail (their dashboard login).")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="RELAYBIRD_NEW_PASSWORD",
            help="At least 10 characters. Prompted for when not given.",
        ),
    ],
    name: Annotated[
        str | None, typer.Option(help="Create the user with this name if it does not exist.")
    ] = None,
    role: Annotated[
        Role | None, typer.Option(help="admin, agent or viewer (when creating the user).")
    ] = None,
    workspace: Annotated[str, typer.Option(help="Workspace slug.")] = "default",
) -> None:
    """Set a user's dashboard password (argon2-hashed), creating the user with --name and
    --role if needed."""
    ctx = context()
    try:
        with ctx.db.write() as session:
            ws = auth.ensure_workspace(
                session, workspace, limit_model=ctx.settings.default_limit_model.value
            )
            user, created = auth.set_password(session, ws.id, email, password, name=name, role=role)
    finally:
        ctx.db.dispose()
    verb = "created with a password" if created else "password set"
    console.print(f"[green]{user.email}: {verb}[/] ({user.role}, workspace '{workspace}')")
