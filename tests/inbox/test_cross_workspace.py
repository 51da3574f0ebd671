"""Issue 11 item 6 (routing): a status moves a campaign recipient or a room message only when it
is reported for the number that sent it. Callback data (``r:<id>``, ``m:<id>``) and wamids are
echoed by whoever sends, so another workspace's number (or a message sent outside relaybird
with our callback data) must not move this workspace's rows."""

from __future__ import annotations

from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.models import Recipient, Room, RoomMessage, User
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace
from tests.inbox.helpers import status, statuses_body
from tests.inbox.test_applier import drain, store

OURS, THEIRS = "pn-ours", "pn-theirs"


def _setup(ctx: AppContext) -> tuple[int, int]:
    """Workspace A sent recipient R (wamid.R) and room message M from OURS; workspace B has
    THEIRS."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        ws_a = make_workspace(session, "alpha")
        ws_b = make_workspace(session, "beta")
        sender = make_sender(session, ws_a, phone_number_id=OURS)
        make_sender(session, ws_b, phone_number_id=THEIRS)
        campaign = make_campaign(session, ws_a, sender, state="RUNNING")
        [rid] = make_recipients(session, ws_a, campaign, 1, state="SENT")
        session.execute(
            Recipient.__table__.update().where(Recipient.id == rid).values(wamid="wamid.R")
        )
        user = User(workspace_id=ws_a, name="Ana", email="ana@alpha.example", role="agent")
        session.add(user)
        session.flush()
        room = Room(
            workspace_id=ws_a,
            name="room",
            network="WHATSAPP",
            owner_user_id=user.id,
            status="ACTIVE",
            sender_id=sender,
        )
        session.add(room)
        session.flush()
        message = RoomMessage(
            workspace_id=ws_a,
            room_id=room.id,
            direction="OUT",
            text="hi",
            status="SENT",
            wamid="wamid.M",
            created_at=now,
            updated_at=now,
        )
        session.add(message)
        session.flush()
        return rid, message.id


def _states(ctx: AppContext, rid: int, mid: int) -> tuple[str, str]:
    with ctx.db.read() as session:
        recipient = session.scalar(select(Recipient.state).where(Recipient.id == rid))
        message = session.scalar(select(RoomMessage.status).where(RoomMessage.id == mid))
    assert recipient is not None and message is not None
    return recipient, message


def test_another_numbers_statuses_move_nothing(ctx: AppContext) -> None:
    rid, mid = _setup(ctx)
    forged = [
        status("wamid.X1", "read", callback=f"r:{rid}"),
        status("wamid.R", "read"),
        status("wamid.X2", "read", callback=f"m:{mid}"),
        status("wamid.M", "read"),
    ]
    store(ctx, statuses_body(forged, phone_number_id=THEIRS))
    drain(ctx)
    assert _states(ctx, rid, mid) == ("SENT", "SENT")

    genuine = [status("wamid.R", "read"), status("wamid.M", "read", callback=f"m:{mid}")]
    store(ctx, statuses_body(genuine, phone_number_id=OURS))
    drain(ctx)
    assert _states(ctx, rid, mid) == ("READ", "READ")
