"""Issue 11 item 3, the room sender: a message whose stored row cannot become a send (its
template parameters are not a list) is FAILED with the reason; the message behind it is sent.
Before, the claim failed for every pending message, every half second, forever."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import RoomMessage
from relaybird.providers.direct import LoopbackDirectProvider
from relaybird.rooms import messages, outbound, service
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.rooms.helpers import make_user, post_direct

VIRTUAL, CALLER = "+14155550100", "+14155550199"


def test_an_unsendable_message_is_failed_and_the_next_one_is_sent(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker, clock: ManualClock
) -> None:
    outbox = LoopbackDirectProvider()
    ctx.direct = outbox
    api = ApiClient(live_server.url, keys.create())
    make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _, got = post_direct(
        live_server.url,
        {"network": "WHATSAPP_DIRECT", "from": CALLER, "to": VIRTUAL, "text": "hi", "id": "1"},
    )
    with ctx.db.write() as session:
        room = service.get_room(session, keys.workspace_id(), got["room_id"])
        contact = service.view(session, room).contacts[0]
        queued = [
            messages.queue_out(
                session, room, contact, kind="TEXT", actor="test", now=clock.now(), text=text
            )
            for text in ("poisoned", "good")
        ]
        # Stored by an older release (or by hand): parameters that are not a list.
        session.execute(
            update(RoomMessage)
            .where(RoomMessage.id == queued[0].id)
            .values(template_name="hello", template_params=5)
        )
    sent_before = len(outbox.sent_to(CALLER))

    assert asyncio.run(outbound.deliver(ctx)) == 2
    assert [m.text for m in outbox.sent_to(CALLER)][sent_before:] == ["good"]
    with ctx.db.read() as session:
        bad = session.get(RoomMessage, queued[0].id)
        good = session.get(RoomMessage, queued[1].id)
        assert bad is not None and good is not None
        assert (bad.status, good.status) == ("FAILED", "SENT")
        assert bad.error_title and "TypeError" in bad.error_title
    assert asyncio.run(outbound.deliver(ctx)) == 0  # set aside for good
