"""Connectors from the shell: the workspace's Twilio account, LINE channel, WeChat Official
Account. Secrets are read from an environment variable or prompted for (hidden), never taken
from the command line's history and never printed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from relaybird.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    friendly,
    opened,
    principal,
    show,
    table,
)
from relaybird.connectors import service
from relaybird.connectors.schemas import ConnectorOut, LineCreate, TwilioCreate, WeChatCreate
from relaybird.kit import sealing

app = typer.Typer(
    help="Connectors: the Twilio account, LINE channel and WeChat Official Account behind the "
    "Direct networks.",
    no_args_is_help=True,
)


def _secret(value: str | None, label: str) -> str:
    return value if value else typer.prompt(label, hide_input=True)


def _table(items: list[ConnectorOut]) -> object:
    rows = [
        (c.id, c.network, c.name, c.account_id, ", ".join(c.secrets_set), c.webhook_url)
        for c in items
    ]
    return table(("id", "network", "name", "account", "secrets set", "webhook URL"), rows)


def _create(
    make: Callable[[], TwilioCreate | LineCreate | WeChatCreate], workspace: str, json_out: bool
) -> None:
    """The workspace and RELAYBIRD_SECRET_KEY are checked (a missing database or key is one
    line) before any secret is prompted for; ``make`` then builds the body, prompting for what
    the environment lacks."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        box = service.secret_box(ctx.settings)  # no key: one line, before any prompt
        body = make()
        with ctx.db.write() as session:
            row = service.create_connector(
                session, who.workspace_id, body, at=ctx.clock.now(), box=box
            )
            out = service.to_out(row, ctx.settings.public_url)
    show(out, json_out, lambda: _table([out]))


def _env(name: str, help_: str) -> Any:
    return typer.Option(envvar=name, show_envvar=True, help=help_ + " Prompted for when unset.")


@app.command("add-twilio")
@friendly
def add_twilio(
    account_sid: Annotated[str, typer.Option(help="The Account SID (AC...).")],
    name: Annotated[str, typer.Option(help="A name for people.")] = "Twilio",
    auth_token: Annotated[
        str | None, _env("RELAYBIRD_TWILIO_AUTH_TOKEN", "The Auth Token.")
    ] = None,
    call_message: Annotated[
        str | None, typer.Option(help="Spoken to callers of a virtual number.")
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Connect a Twilio account for SMS & Voice Direct (the users' virtual numbers are its
    numbers)."""
    make = lambda: TwilioCreate.model_validate(  # noqa: E731
        {
            "network": "SMS_DIRECT",
            "name": name,
            "account_sid": account_sid,
            "auth_token": _secret(auth_token, "Auth Token"),
            "call_message": call_message,
        }
    )
    _create(make, workspace, json_out)


@app.command("add-line")
@friendly
def add_line(
    channel_id: Annotated[str, typer.Option(help="The Messaging API channel ID.")],
    name: Annotated[str, typer.Option(help="A name for people.")] = "LINE",
    basic_id: Annotated[str | None, typer.Option(help="The account's basic ID (@...).")] = None,
    channel_secret: Annotated[
        str | None, _env("RELAYBIRD_LINE_CHANNEL_SECRET", "The channel secret.")
    ] = None,
    channel_access_token: Annotated[
        str | None, _env("RELAYBIRD_LINE_CHANNEL_ACCESS_TOKEN", "A channel access token.")
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Connect a LINE Official Account's Messaging API channel."""
    make = lambda: LineCreate.model_validate(  # noqa: E731
        {
            "network": "LINE",
            "name": name,
            "channel_id": channel_id,
            "basic_id": basic_id,
            "channel_secret": _secret(channel_secret, "Channel secret"),
            "channel_access_token": _secret(channel_access_token, "Channel access token"),
        }
    )
    _create(make, workspace, json_out)


@app.command("add-wechat")
@friendly
def add_wechat(
    app_id: Annotated[str, typer.Option(help="The AppID (wx...).")],
    name: Annotated[str, typer.Option(help="A name for people.")] = "WeChat",
    original_id: Annotated[str | None, typer.Option(help="The original ID (gh_...).")] = None,
    app_secret: Annotated[str | None, _env("RELAYBIRD_WECHAT_APP_SECRET", "The AppSecret.")] = None,
    token: Annotated[
        str | None, _env("RELAYBIRD_WECHAT_TOKEN", "The server configuration's Token.")
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Connect a WeChat Official Account (plain-mode callbacks)."""
    make = lambda: WeChatCreate.model_validate(  # noqa: E731
        {
            "network": "WECHAT",
            "name": name,
            "app_id": app_id,
            "original_id": original_id,
            "app_secret": _secret(app_secret, "AppSecret"),
            "token": _secret(token, "Server Token"),
        }
    )
    _create(make, workspace, json_out)


@app.command("list")
@friendly
def list_(workspace: WorkspaceOpt = "default", json_out: JsonOpt = False) -> None:
    """The workspace's connectors (which secrets are set, never their values)."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            items = [
                service.to_out(r, ctx.settings.public_url)
                for r in service.list_connectors(session, who.workspace_id)
            ]
    show(items, json_out, lambda: _table(items))


@app.command("delete")
@friendly
def delete(
    connector_id: Annotated[int, typer.Argument(help="The connector's id.")],
    workspace: WorkspaceOpt = "default",
) -> None:
    """Delete a connector and its secrets."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            service.delete_connector(session, who.workspace_id, connector_id)
    console.print(f"connector {connector_id} deleted")


@app.command("new-key")
@friendly
def new_key() -> None:
    """Print a new key for RELAYBIRD_SECRET_KEY (it encrypts the connectors' secrets in the
    database). Keep it with the database's backups: without it the secrets cannot be read."""
    typer.echo(sealing.new_key())


@app.command("reseal")
@friendly
def reseal() -> None:
    """Rewrite every connector's secrets under the first key of RELAYBIRD_SECRET_KEY: after a
    rotation (RELAYBIRD_SECRET_KEY=new,old, then `reseal`, then drop old), or once for secrets
    stored in plain text by an older relaybird. Changes nothing if a key is missing."""
    with opened() as ctx:
        box = service.secret_box(ctx.settings)
        with ctx.db.write() as session:
            changed = service.reseal(session, box)
    console.print(f"{changed} connector(s) resealed under the first key")
