"""Rooms from the shell: create, list, show, members, contacts, messages.

Messages (and the welcome a new contact gets) are written PENDING here and committed; a running
`relaybird serve` or `relaybird worker` sends them (its ``rooms.sender`` loop), as the API does
after a crash between commit and send.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from relaybird.cli.common import (
    ACTOR,
    JsonOpt,
    LimitOpt,
    UserArg,
    WorkspaceOpt,
    console,
    fail,
    friendly,
    opened,
    principal,
    print_json,
    show,
    table,
)
from relaybird.contacts.transitions import Network
from relaybird.kit.time import rfc3339
from relaybird.rooms import messages, service
from relaybird.rooms.schemas import MessageOut, RoomOut
from relaybird.rooms.transitions import RoomStatus

app = typer.Typer(
    help="Rooms: create, list, show, members, contacts, messages.", no_args_is_help=True
)

RoomArg = Annotated[int, typer.Argument(help="The room's id (`relaybird rooms list`).")]
SENT_LATER = "a running `relaybird serve` or `worker` sends it"


def _rooms_table(items: list[RoomOut]) -> Any:
    rows = [
        (
            r.id,
            r.name,
            r.network,
            r.status,
            r.owner_user_id,
            r.sender_id or "",
            ", ".join(m.name for m in r.members),
            ", ".join(
                " ".join(p for p in (c.first_name, c.last_name) if p) or str(c.id)
                for c in r.contacts
            ),
        )
        for r in items
    ]
    columns = ("id", "name", "network", "status", "owner", "sender", "members", "contacts")
    return table(columns, rows)


def _messages_table(items: list[MessageOut]) -> Any:
    rows = [
        (
            m.id,
            rfc3339(m.created_at),
            m.direction,
            m.kind,
            m.status,
            m.contact_id or "",
            m.text or m.template_name or "",
            f"{m.error_code} {m.error_title or ''}" if m.error_code else "",
        )
        for m in items
    ]
    columns = ("id", "when", "direction", "kind", "status", "contact", "text", "error")
    return table(columns, rows)


def _room(room_id: int, workspace: str, json_out: bool, change: Any = None) -> None:
    """Apply ``change(session, room)`` (if any) under the room's lock, then show the room."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        if change is None:
            with ctx.db.read() as session:
                out = RoomOut.of(
                    service.view(session, service.get_room(session, who.workspace_id, room_id))
                )
        else:
            with ctx.db.write() as session:
                room = service.get_room(session, who.workspace_id, room_id, lock=True)
                change(session, room, ctx)
                out = RoomOut.of(service.view(session, room))
    show(out, json_out, lambda: _rooms_table([out]))


@app.command("create")
@friendly
def create(
    name: Annotated[str, typer.Option(help="The room's name.")],
    network: Annotated[Network, typer.Option(help="The network of the room's contacts.")],
    owner: Annotated[int, typer.Option(help="The owning user's id (its first member).")],
    sender: Annotated[
        int | None, typer.Option(help="WHATSAPP rooms: the sender number's id.")
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Create a room (ACTIVE) owned by a user; WhatsApp rooms need --sender."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            room = service.create_room(
                session,
                who.workspace_id,
                name=name,
                network=network,
                owner_user_id=owner,
                sender_id=sender,
                actor=ACTOR,
                now=ctx.clock.now(),
            )
            out = RoomOut.of(service.view(session, room))
    show(out, json_out, lambda: _rooms_table([out]))


@app.command("list")
@friendly
def list_(
    network: Annotated[Network | None, typer.Option(help="Only this network.")] = None,
    status: Annotated[RoomStatus | None, typer.Option(help="Only this status.")] = None,
    limit: LimitOpt = 100,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Rooms with their status, members and contacts."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            views, _ = service.list_rooms(
                session,
                who.workspace_id,
                after_id=None,
                limit=limit,
                network=network.value if network else None,
                status=status.value if status else None,
            )
            items = [RoomOut.of(v) for v in views]
    show(items, json_out, lambda: _rooms_table(items))


@app.command("show")
@friendly
def show_(room_id: RoomArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False) -> None:
    """One room with its members and contacts."""
    _room(room_id, workspace, json_out)


@app.command("add-member")
@friendly
def add_member(
    room_id: RoomArg,
    user_id: UserArg,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Add a user to the room (adding twice changes nothing)."""
    _room(
        room_id,
        workspace,
        json_out,
        lambda s, room, ctx: service.add_member(s, room, user_id, now=ctx.clock.now()),
    )


@app.command("remove-member")
@friendly
def remove_member(
    room_id: RoomArg,
    user_id: UserArg,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Remove a user from the room (never its owner)."""
    _room(
        room_id, workspace, json_out, lambda s, room, ctx: service.remove_member(s, room, user_id)
    )


@app.command("add-contact")
@friendly
def add_contact(
    room_id: RoomArg,
    contact_id: Annotated[int, typer.Argument(help="The contact's id (same network).")],
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Add a contact of the room's network; WhatsApp contacts get the welcome template (the
    reachability probe), Direct ones the welcome message."""
    _room(
        room_id,
        workspace,
        json_out,
        lambda s, room, ctx: service.add_contact(
            s, ctx.settings, room, contact_id, actor=ACTOR, now=ctx.clock.now()
        ),
    )
    if not json_out:
        console.print(f"[dim]the welcome is queued: {SENT_LATER}[/]")


@app.command("remove-contact")
@friendly
def remove_contact(
    room_id: RoomArg,
    contact_id: Annotated[int, typer.Argument(help="The contact's id.")],
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Remove a contact from the room (the last one makes it DEACTIVATED)."""
    _room(
        room_id,
        workspace,
        json_out,
        lambda s, room, ctx: service.remove_contact(
            s, room, contact_id, actor=ACTOR, now=ctx.clock.now()
        ),
    )


@app.command("messages")
@friendly
def list_messages(
    room_id: RoomArg,
    limit: LimitOpt = 100,
    include_held: Annotated[
        bool, typer.Option("--include-held", help="Also messages HELD from blocked numbers.")
    ] = False,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """The room's messages (out, in, system) with their status."""
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.read() as session:
            room = service.get_room(session, who.workspace_id, room_id)
            rows, _ = service.list_messages(
                session, room, after_id=None, limit=limit, include_held=include_held
            )
            items = [MessageOut.model_validate(m) for m in rows]
    show(items, json_out, lambda: _messages_table(items))


@app.command("send")
@friendly
def send(
    room_id: RoomArg,
    text: Annotated[
        str | None, typer.Option(help="Free-form text (WhatsApp: only inside the 24 h window).")
    ] = None,
    template: Annotated[
        str | None, typer.Option(help="An approved WhatsApp template's name instead of text.")
    ] = None,
    language: Annotated[str, typer.Option(help="The template's language.")] = "en",
    param: Annotated[
        list[str] | None,
        typer.Option(help="The template's body parameters, in order (repeatable)."),
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Write a message to every reachable contact of the room (one per contact)."""
    if (text is None) == (template is None):
        fail("give either --text or --template", 2)
    spec = messages.Template(template, language, tuple(param or ())) if template else None
    with opened() as ctx:
        who = principal(ctx, workspace)
        with ctx.db.write() as session:
            room = service.get_room(session, who.workspace_id, room_id, lock=True)
            rows = messages.post_outbound(
                session,
                room,
                text=text,
                template=spec,
                author_user_id=None,
                actor=ACTOR,
                now=ctx.clock.now(),
            )
            items = [MessageOut.model_validate(m) for m in rows]
    if json_out:
        print_json(items)
        return
    console.print(_messages_table(items))
    console.print(f"[dim]{len(items)} messages queued: {SENT_LATER}[/]")
