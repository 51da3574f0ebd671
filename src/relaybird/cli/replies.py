"""A campaign's replies from the shell: list them (and the taps per button), answer one.

An answer is written PENDING and committed here, like every room message the CLI writes; a
running `relaybird serve` or `relaybird worker` sends it (its ``rooms.sender`` loop).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from relaybird.auth import service as auth
from relaybird.campaigns import service
from relaybird.campaigns.schemas import ButtonCount, ReplyOut
from relaybird.cli.common import (
    ACTOR,
    JsonOpt,
    LimitOpt,
    WorkspaceOpt,
    console,
    friendly,
    opened,
    print_json,
    table,
)
from relaybird.cli.common import show as show_out
from relaybird.cli.status import campaign_app
from relaybird.kit.time import rfc3339
from relaybird.rooms import answers
from relaybird.rooms.schemas import AnswerOut, MessageOut

IdArg = Annotated[int, typer.Argument(help="The campaign's id (`relaybird campaign list`).")]
ReplyArg = Annotated[
    int, typer.Argument(help="The reply's id (`relaybird campaign replies CAMPAIGN`).")
]
SENT_LATER = "a running `relaybird serve` or `worker` sends it"


def register() -> None:
    campaign_app.command("replies")(replies)
    campaign_app.command("buttons")(buttons)
    campaign_app.command("answer")(answer)


def _replies_table(items: list[ReplyOut]) -> Any:
    rows = [(r.id, r.recipient_id, rfc3339(r.received_at), r.type, r.text, r.button) for r in items]
    return table(("id", "recipient", "received", "type", "text", "button"), rows)


@friendly
def replies(
    campaign_id: IdArg,
    recipient: Annotated[int | None, typer.Option(help="Only this recipient's replies.")] = None,
    limit: LimitOpt = 100,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Inbound messages linked to the campaign's recipients, oldest first (answer one with
    `relaybird campaign answer CAMPAIGN REPLY --text ...`)."""
    with opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace).id
        page = service.replies_page(
            session, ws, campaign_id, recipient_id=recipient, cursor=None, limit=limit
        )
        items = [ReplyOut.model_validate(r) for r in page.items]
    show_out(items, json_out, lambda: _replies_table(items))


@friendly
def buttons(
    campaign_id: IdArg, workspace: WorkspaceOpt = "default", json_out: JsonOpt = False
) -> None:
    """Buttons tapped in reply (quick replies by payload, interactive ones by id): label, taps,
    recipients; most tapped first."""
    with opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace).id
        items: list[ButtonCount] = service.button_counts(session, ws, campaign_id)
    show_out(
        items,
        json_out,
        lambda: table(
            ("button", "label", "taps", "recipients"),
            [(b.button, b.label, b.count, b.recipients) for b in items],
        ),
    )


@friendly
def answer(
    campaign_id: IdArg,
    reply_id: ReplyArg,
    text: Annotated[
        str,
        typer.Option(
            help="Free-form text, at most 4096 characters; only inside the 24 h window opened "
            "by the number's last message."
        ),
    ],
    user: Annotated[
        int | None,
        typer.Option(
            help="The user answering, owner of the contact and room if they are created "
            "(default: the contact's owner, else the workspace's first active user)."
        ),
    ] = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Answer a reply: a free-form WhatsApp text from the campaign's number to the number that
    replied, as a message of the room for that number (opened if needed). Refused once the
    24 h customer-service window has closed (it says when)."""
    with opened() as ctx, ctx.db.write() as session:
        ws = auth.find_workspace(session, workspace).id
        done = answers.answer_reply(
            session,
            ctx.settings,
            ws,
            campaign_id,
            reply_id,
            text=text,
            user_id=user,
            actor=ACTOR,
            now=ctx.clock.now(),
        )
        out = AnswerOut(
            room_id=done.room.id,
            room_created=done.room_created,
            contact_id=done.contact.id,
            message=MessageOut.model_validate(done.message),
        )
    if json_out:
        print_json(out)
        return
    opened_note = "opened" if out.room_created else "in"
    console.print(
        f"answer {out.message.id} queued {opened_note} room {out.room_id} "
        f"(`relaybird rooms messages {out.room_id}`): {SENT_LATER}"
    )
