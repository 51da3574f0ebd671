"""`relaybird`: every operator task from the shell."""

from __future__ import annotations

import typer

from relaybird.cli import campaigns as campaigns_cli
from relaybird.cli import connectors as connectors_cli
from relaybird.cli import contacts as contacts_cli
from relaybird.cli import demo as demo_cli
from relaybird.cli import emails, events, helpfmt, keys, rooms, senders, server, status, users
from relaybird.cli import inbox as inbox_cli
from relaybird.cli import replies as replies_cli
from relaybird.cli import simulator as simulator_cli
from relaybird.cli import suppressions as suppressions_cli
from relaybird.cli import templates as templates_cli

helpfmt.install()

app = typer.Typer(
    name="relaybird",
    help="relaybird: a self-hosted business-messaging engine.\n\n"
    "Start with `relaybird demo`; run it for real with `relaybird migrate`, then\n"
    "`relaybird serve`.\n"
    "Configuration comes from RELAYBIRD_* environment variables (see the README).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
server.register(app)
simulator_cli.register(app)
app.add_typer(keys.app, name="keys")
app.add_typer(events.app, name="events")
status.register(app)
app.add_typer(inbox_cli.app, name="inbox")
app.add_typer(users.app, name="users")
app.add_typer(connectors_cli.app, name="connectors")
app.add_typer(senders.app, name="senders")
app.add_typer(templates_cli.app, name="templates")
app.add_typer(contacts_cli.app, name="contacts")
app.add_typer(rooms.app, name="rooms")
app.add_typer(emails.app, name="emails")
app.add_typer(suppressions_cli.app, name="suppressions")
demo_cli.register(app)
campaigns_cli.register()
replies_cli.register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
