"""Contacts from the shell: list, show, create (and invite), edit, delete, history, resend an
invitation, onboard or unblock an auto-onboarded Direct contact."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from relaybird.cli.common import (
    ACTOR,
    CompanyOpt,
    FirstNameOpt,
    JsonOpt,
    LastNameOpt,
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
from relaybird.contacts import service, users
from relaybird.contacts.invitations import InviteSettings
from relaybird.contacts.schemas import ContactOut, HistoryItem
from relaybird.contacts.service import ContactDraft
from relaybird.contacts.transitions import INVITATION_NETWORKS, Network
from relaybird.contacts.validation import ContactFields
from relaybird.contacts.views import contact_out, latest, to_out
from relaybird.direct import service as direct
from relaybird.direct.schemas import MovedOut
from relaybird.kit.time import rfc3339
from relaybird.rooms import service as rooms

app = typer.Typer(
    help="Contacts: list, show, create (and invite), edit, delete, history, resend "
    "invitations, onboard or unblock Direct contacts.",
    no_args_is_help=True,
)

ContactArg = Annotated[int, typer.Argument(help="The contact's id (`relaybird contacts list`).")]


def _table(items: list[ContactOut]) -> Any:
    rows = [
        (
            c.id,
            c.network.value,
            c.status.value if c.status else "—",
            " ".join(p for p in (c.first_name, c.last_name) if p),
            c.phone or "",
            c.company or "",
            c.email or "",
            c.owner_user_id,
            c.invitation.state if c.invitation else "",
        )
        for c in items
    ]
    columns = ("id", "network", "status", "name", "phone", "company", "e-mail", "owner", "invite")
    return table(columns, rows)


@app.command("list")
@friendly
def list_(
    network: Annotated[Network | None, typer.Option(help="Only this network.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Only this status (NONE: contacts with no status).")
    ] = None,
    limit: LimitOpt = 100,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Contacts with their network and status, oldest first."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            page = service.list_contacts(
                session,
                who.workspace_id,
                network=network,
                status=status.upper() if status else None,
                cursor=None,
                limit=limit,
            )
            found = latest(session, ctx, [c.id for c in page.items])
            now = ctx.clock.now()
            items = [to_out(c, found.get(c.id), now) for c in page.items]
    show(items, json_out, lambda: _table(items))
    if page.next_cursor and not json_out:
        console.print(f"(the first {limit}; raise --limit for more)")


@app.command("show")
@friendly
def show_(
    contact_id: ContactArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """One contact with its invitation."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            contact = service.get_contact(session, who.workspace_id, contact_id)
            out = contact_out(session, ctx, contact)
    show(out, json_out, lambda: _table([out]))


@app.command("create")
@friendly
def create(
    network: Annotated[Network, typer.Option(help="The contact's network.")],
    owner: Annotated[str, typer.Option(help="E-mail of the user who owns the contact.")],
    first_name: FirstNameOpt = None,
    last_name: LastNameOpt = None,
    phone: Annotated[str | None, typer.Option(help="Phone, + and country code.")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail (invitations go there).")] = None,
    company: CompanyOpt = None,
    invite: Annotated[
        bool, typer.Option(help="WHATSAPP: also e-mail an invitation (WeChat/LINE always do).")
    ] = False,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Create a contact; WeChat and LINE contacts are e-mailed an invitation (PENDING_CONFIRMATION
    once the e-mail is sent: without RELAYBIRD_SMTP_URL it is not, and they keep no status)."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            user = users.by_email(session, who.workspace_id, owner)
            now = ctx.clock.now()
            contact = service.create_contact(
                session,
                who.workspace_id,
                ContactDraft(
                    network,
                    user.id,
                    ContactFields(first_name, last_name, company, email, phone),
                    invite,
                ),
                actor=ACTOR,
                at=now,
                invite_settings=InviteSettings.of(ctx.settings),
                region=ctx.settings.default_region,
            )
            out = contact_out(session, ctx, contact)
    if json_out:
        print_json(out)
        return
    status = out.status.value if out.status else "no status"
    invited = "; invitation e-mail queued" if network in INVITATION_NETWORKS or invite else ""
    console.print(f"created contact [bold]{out.id}[/] ({status}{invited})")


@app.command("edit")
@friendly
def edit(
    contact_id: ContactArg,
    first_name: Annotated[str | None, typer.Option(help="New first name.")] = None,
    last_name: Annotated[str | None, typer.Option(help="New last name.")] = None,
    company: Annotated[str | None, typer.Option(help="New company.")] = None,
    email: Annotated[str | None, typer.Option(help="New e-mail.")] = None,
    owner: Annotated[str | None, typer.Option(help="E-mail of the new owning user.")] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Edit a contact's names, company, e-mail or owner (the network and phone never change:
    delete and create it again)."""
    changes: dict[str, Any] = {
        k: v
        for k, v in (
            ("first_name", first_name),
            ("last_name", last_name),
            ("company", company),
            ("email", email),
        )
        if v is not None
    }
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            if owner is not None:
                changes["owner_user_id"] = users.by_email(session, who.workspace_id, owner).id
            now = ctx.clock.now()
            contact = service.update_contact(
                session,
                who.workspace_id,
                contact_id,
                changes,
                actor=ACTOR,
                at=now,
                region=ctx.settings.default_region,
            )
            out = contact_out(session, ctx, contact)
    show(out, json_out, lambda: _table([out]))


@app.command("delete")
@friendly
def delete(
    contact_id: ContactArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """Delete a contact with its invitations and room memberships (the only way to clear a
    WhatsApp contact's UNAVAILABLE)."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            rooms.delete_contact(
                session, who.workspace_id, contact_id, actor=ACTOR, at=ctx.clock.now()
            )
    if json_out:
        print_json({"id": contact_id, "deleted": True})
        return
    console.print(f"contact {contact_id} deleted")


@app.command("history")
@friendly
def history(
    contact_id: ContactArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """A contact's status changes, oldest first."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            rows = [
                HistoryItem.model_validate(r)
                for r in service.history_of(session, who.workspace_id, contact_id)
            ]
    show(
        rows,
        json_out,
        lambda: table(
            ("when", "from", "to", "event", "by"),
            [
                (rfc3339(r.created_at), r.from_state or "—", r.to_state or "—", r.event, r.actor)
                for r in rows
            ],
        ),
    )


@app.command("resend")
@friendly
def resend(
    contact_id: ContactArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """E-mail a new invitation code (the old one stops working); PENDING_CONFIRMATION again once
    the e-mail is sent."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            now = ctx.clock.now()
            contact = service.resend_invite(
                session,
                who.workspace_id,
                contact_id,
                actor=ACTOR,
                at=now,
                invite_settings=InviteSettings.of(ctx.settings),
            )
            out = contact_out(session, ctx, contact)
    if json_out:
        print_json(out)
        return
    status = out.status.value if out.status else "no status"
    console.print(f"invitation e-mail queued for contact [bold]{out.id}[/] ({status})")


def _moved(moved: direct.Moved, out: ContactOut, json_out: bool) -> None:
    result = MovedOut(contact=out, released_messages=moved.released)
    if json_out:
        print_json(result)
        return
    status = out.status.value if out.status else "no status"
    console.print(
        f"contact {out.id} is {status}; {moved.released} held messages released "
        "(a running `relaybird serve` or `worker` sends the welcome)"
    )


@app.command("onboard")
@friendly
def onboard(
    contact_id: ContactArg,
    first_name: FirstNameOpt = None,
    last_name: LastNameOpt = None,
    company: CompanyOpt = None,
    email: Annotated[str | None, typer.Option(help="E-mail.")] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Complete an INCOMPLETE or BLOCKED Direct contact's profile: CONFIRMED (SMS-Direct) or
    no status (WhatsApp-Direct); its number leaves the block list, held messages are released."""
    fields = ContactFields(first_name=first_name, last_name=last_name, company=company, email=email)
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            now = ctx.clock.now()
            moved = direct.onboard(
                session, ctx.settings, who.workspace_id, contact_id, fields, actor=ACTOR, now=now
            )
            out = contact_out(session, ctx, moved.contact)
    _moved(moved, out, json_out)


@app.command("unblock")
@friendly
def unblock(
    contact_id: ContactArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """BLOCKED → INCOMPLETE: the number leaves the owner's block list, held messages are
    released and the welcome is sent."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            now = ctx.clock.now()
            moved = direct.unblock(
                session, ctx.settings, who.workspace_id, contact_id, actor=ACTOR, now=now
            )
            out = contact_out(session, ctx, moved.contact)
    _moved(moved, out, json_out)
