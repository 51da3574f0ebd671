"""Users from the shell: dashboard logins and passwords, agents who own contacts and rooms,
their virtual numbers and block lists."""

from __future__ import annotations

from typing import Annotated

import typer

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.cli.common import (
    JsonOpt,
    LimitOpt,
    UserArg,
    WorkspaceOpt,
    console,
    friendly,
    opened,
    principal,
    print_json,
    show,
    table,
)
from relaybird.contacts import users
from relaybird.contacts.schemas import DirectNetwork, UserOut
from relaybird.contacts.transitions import DIRECT_NETWORKS, Network
from relaybird.contacts.views import user_out
from relaybird.direct import service as direct
from relaybird.direct.schemas import BlockedOut, BlockReason
from relaybird.kit.time import rfc3339

app = typer.Typer(
    help="Users: dashboard passwords, agents, virtual numbers, block lists.", no_args_is_help=True
)

PASSWORD_ENV = "RELAYBIRD_NEW_PASSWORD"  # noqa: S105 (a variable name)


def _user_table(items: list[UserOut]) -> object:
    rows = [
        (
            u.id,
            u.name,
            u.email,
            u.role.value,
            "yes" if u.active else "no",
            ", ".join(f"{n}: {p}" for n, p in sorted(u.virtual_numbers.items())),
            (u.forward_phone or "")
            + ("" if u.forward_calls else " (off)" if u.forward_phone else ""),
        )
        for u in items
    ]
    return table(
        ("id", "name", "e-mail", "role", "active", "virtual numbers", "calls forwarded to"), rows
    )


@app.command("set-password")
@friendly
def set_password(
    email: Annotated[str, typer.Argument(help="The user's e-mail (their dashboard login).")],
    password: Annotated[
        str | None,
        typer.Option(
            envvar=PASSWORD_ENV,
            show_envvar=True,
            help="At least 10 characters. Better left out: prompted for (hidden, twice), or "
            f"read from {PASSWORD_ENV}.",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Create the user with this name if it does not exist.")
    ] = None,
    role: Annotated[
        Role | None, typer.Option(help="admin, agent or viewer (when creating the user).")
    ] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Set a user's dashboard password (argon2-hashed), creating the user with --name and
    --role if needed."""
    with opened() as ctx:
        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        with ctx.db.write() as session:
            ws = auth.ensure_workspace(
                session, workspace, limit_model=ctx.settings.default_limit_model.value
            )
            user, created = auth.set_password(session, ws.id, email, password, name=name, role=role)
    verb = "created with a password" if created else "password set"
    console.print(f"[green]{user.email}: {verb}[/] ({user.role}, workspace '{workspace}')")


@app.command("create")
@friendly
def create(
    name: Annotated[str, typer.Option(help="The user's name.")],
    email: Annotated[str, typer.Option(help="The user's e-mail (their dashboard login).")],
    role: Annotated[Role, typer.Option(help="admin, agent or viewer.")] = Role.AGENT,
    virtual_number: Annotated[
        str | None,
        typer.Option(help="A second number for both Direct networks (+ and country code)."),
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Create a user (an agent who owns contacts and rooms). Give them a dashboard password
    with `relaybird users set-password`."""
    numbers = {n: virtual_number for n in sorted(DIRECT_NETWORKS)} if virtual_number else {}
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            out = user_out(
                users.create_user(
                    session,
                    who.workspace_id,
                    name=name,
                    email=email,
                    role=role,
                    virtual_numbers=numbers,
                    at=ctx.clock.now(),
                    region=ctx.settings.default_region,
                )
            )
    show(out, json_out, lambda: _user_table([out]))


@app.command("list")
@friendly
def list_(
    limit: LimitOpt = 100,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """The workspace's users with their role and virtual numbers."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            page = users.list_users(session, who.workspace_id, cursor=None, limit=limit)
            items = [user_out(v) for v in page.items]
    show(items, json_out, lambda: _user_table(items))


@app.command("show")
@friendly
def show_(user_id: UserArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False) -> None:
    """One user with their virtual numbers."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            out = user_out(users.view(session, who.workspace_id, user_id))
    show(out, json_out, lambda: _user_table([out]))


@app.command("set-number")
@friendly
def set_number(
    user_id: UserArg,
    network: Annotated[DirectNetwork, typer.Argument(help="SMS_DIRECT or WHATSAPP_DIRECT.")],
    phone: Annotated[str, typer.Argument(help="The virtual number, + and country code.")],
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Give a user their virtual number on a Direct network (replaces the previous one)."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            out = user_out(
                users.set_virtual_number(
                    session,
                    who.workspace_id,
                    user_id,
                    Network(network.value),
                    phone,
                    at=ctx.clock.now(),
                    region=ctx.settings.default_region,
                )
            )
    show(out, json_out, lambda: _user_table([out]))


@app.command("clear-number")
@friendly
def clear_number(
    user_id: UserArg,
    network: Annotated[DirectNetwork, typer.Argument(help="SMS_DIRECT or WHATSAPP_DIRECT.")],
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Take a user's virtual number on a Direct network away."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            out = user_out(
                users.clear_virtual_number(
                    session, who.workspace_id, user_id, Network(network.value), at=ctx.clock.now()
                )
            )
    show(out, json_out, lambda: _user_table([out]))


@app.command("forward-calls")
@friendly
def forward_calls(
    user_id: UserArg,
    phone: Annotated[
        str | None,
        typer.Argument(
            help="The user's own phone, + and country code (left out: keep the one set)."
        ),
    ] = None,
    on: Annotated[
        bool,
        typer.Option(
            "--on/--off",
            help="--on: calls to the user's SMS & Voice Direct virtual number ring this phone "
            "(caller id: the virtual number); --off: they hear the connector's spoken message.",
        ),
    ] = True,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Forward calls to a user's virtual number to their own phone (or stop, keeping it)."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            out = user_out(
                users.set_forwarding(
                    session,
                    who.workspace_id,
                    user_id,
                    phone=phone,
                    forward_calls=on,
                    at=ctx.clock.now(),
                    region=ctx.settings.default_region,
                )
            )
    show(out, json_out, lambda: _user_table([out]))


@app.command("clear-forwarding")
@friendly
def clear_forwarding(
    user_id: UserArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """Stop forwarding a user's calls and forget their own phone."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            out = user_out(
                users.clear_forwarding(session, who.workspace_id, user_id, at=ctx.clock.now())
            )
    show(out, json_out, lambda: _user_table([out]))


def _blocked_table(rows: list[BlockedOut]) -> object:
    return table(
        ("phone", "reason", "comment", "since"),
        [(b.phone, b.reason.value, b.comment or "", rfc3339(b.created_at)) for b in rows],
    )


@app.command("block")
@friendly
def block(
    user_id: UserArg,
    phone: Annotated[str, typer.Argument(help="The number to block, + and country code.")],
    reason: Annotated[BlockReason, typer.Option(help="Why.")] = BlockReason.OTHER,
    comment: Annotated[str | None, typer.Option(help="A note for other agents.")] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Put a number on a user's block list: its messages and calls to the user's virtual
    numbers are held, and an unknown caller becomes a BLOCKED contact."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            entry = direct.block_number(
                session,
                who.workspace_id,
                user_id,
                phone=phone,
                reason=reason.value,
                comment=comment,
                region=ctx.settings.default_region,
                now=ctx.clock.now(),
            )
            out = BlockedOut.model_validate(entry)
    show(out, json_out, lambda: _blocked_table([out]))


@app.command("blocked")
@friendly
def blocked(
    user_id: UserArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """A user's block list."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            rows = [
                BlockedOut.model_validate(r)
                for r in direct.blocked_numbers(session, who.workspace_id, user_id)
            ]
    show(rows, json_out, lambda: _blocked_table(rows))


@app.command("unblock-number")
@friendly
def unblock_number(
    user_id: UserArg,
    phone: Annotated[str, typer.Argument(help="The blocked number.")],
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Take a number off a user's block list (a contact already BLOCKED stays so until
    `relaybird contacts unblock`)."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            direct.unblock_number(
                session,
                who.workspace_id,
                user_id,
                phone,
                region=ctx.settings.default_region,
                now=ctx.clock.now(),
            )
    if json_out:
        print_json({"user_id": user_id, "phone": phone, "blocked": False})
        return
    console.print(f"{phone} is no longer blocked for user {user_id}")
