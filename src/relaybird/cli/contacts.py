"""Contacts from the shell: list, create (and invite), resend an invitation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from relaybird.auth import service as auth
from relaybird.cli.common import console, friendly, opened
from relaybird.contacts import service, users
from relaybird.contacts.invitations import InviteSettings
from relaybird.contacts.service import ContactDraft
from relaybird.contacts.transitions import INVITATION_NETWORKS, Network
from relaybird.contacts.validation import ContactFields

app = typer.Typer(
    help="Contacts: list, create (and invite), resend invitations.", no_args_is_help=True
)

WorkspaceOpt = Annotated[str, typer.Option(help="Workspace slug.")]


@app.command("list")
@friendly
def list_(
    network: Annotated[Network | None, typer.Option(help="Only this network.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Only this status (NONE: contacts with no status).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Contacts with their network and status, oldest first."""
    with opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace)
        page = service.list_contacts(
            session,
            ws.id,
            network=network,
            status=status.upper() if status else None,
            cursor=None,
            limit=limit,
        )
        table = Table("id", "network", "status", "name", "company", "e-mail", "owner")
        for c in page.items:
            name = " ".join(p for p in (c.first_name, c.last_name) if p)
            table.add_row(
                str(c.id),
                c.network,
                c.status or "—",
                name,
                c.company or "",
                c.email or "",
                str(c.owner_user_id),
            )
        console.print(table)
        if page.next_cursor:
            console.print(f"(first {limit}; use the API's cursor for more)")


@app.command("create")
@friendly
def create(
    network: Annotated[Network, typer.Option(help="The contact's network.")],
    owner: Annotated[str, typer.Option(help="E-mail of the user who owns the contact.")],
    first_name: Annotated[str | None, typer.Option(help="First name.")] = None,
    last_name: Annotated[str | None, typer.Option(help="Last name.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone, + and country code.")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail (invitations go there).")] = None,
    company: Annotated[str | None, typer.Option(help="Company.")] = None,
    invite: Annotated[
        bool, typer.Option(help="WHATSAPP: also e-mail an invitation (WeChat/LINE always do).")
    ] = False,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Create a contact; WeChat and LINE contacts are e-mailed an invitation (PENDING_CONFIRMATION
    once the e-mail is sent: without RELAYBIRD_SMTP_URL it is not, and they keep no status)."""
    with opened() as ctx, ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace)
        user = users.by_email(session, ws.id, owner)
        contact = service.create_contact(
            session,
            ws.id,
            ContactDraft(
                network,
                user.id,
                ContactFields(first_name, last_name, company, email, phone),
                invite,
            ),
            actor="cli",
            at=ctx.clock.now(),
            invite_settings=InviteSettings.of(ctx.settings),
            region=ctx.settings.default_region,
        )
        invited = "; invitation e-mail queued" if network in INVITATION_NETWORKS or invite else ""
        console.print(
            f"created contact [bold]{contact.id}[/] ({contact.status or 'no status'}{invited})"
        )


@app.command("resend")
@friendly
def resend(
    contact_id: Annotated[int, typer.Argument(help="The contact's id.")],
    workspace: WorkspaceOpt = "default",
) -> None:
    """E-mail a new invitation code (the old one stops working); PENDING_CONFIRMATION again once
    the e-mail is sent."""
    with opened() as ctx, ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace)
        contact = service.resend_invite(
            session,
            ws.id,
            contact_id,
            actor="cli",
            at=ctx.clock.now(),
            invite_settings=InviteSettings.of(ctx.settings),
        )
        console.print(
            f"invitation e-mail queued for contact [bold]{contact.id}[/] "
            f"({contact.status or 'no status'})"
        )
