"""Room timers and crash safety: a lapsed 24 h window makes the room LIMITED; a send claimed by a
process that died is never sent again (FAILED, outcome unknown); members."""

from __future__ import annotations

from datetime import timedelta

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.providers.direct import LoopbackDirectProvider
from relaybird.rooms import jobs, messages, outbound, service
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.rooms.helpers import make_user, post_direct, problem

VIRTUAL, CALLER = "+14155550100", "+14155550199"


def test_window_lapse_limits_the_room_and_a_crashed_send_is_not_resent(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker, clock: ManualClock
) -> None:
    outbox = LoopbackDirectProvider()
    ctx.direct = outbox
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _, got = post_direct(
        live_server.url,
        {"network": "WHATSAPP_DIRECT", "from": CALLER, "to": VIRTUAL, "text": "hi", "id": "1"},
    )
    rid = got["room_id"]
    assert api.get(f"/api/v1/rooms/{rid}")["status"] == "ACTIVE"

    # A message is queued and claimed, then the process "dies" before calling the carrier.
    out = api.post(f"/api/v1/rooms/{rid}/messages", {"text": "one"})
    assert out["items"][0]["status"] == "SENT"
    workspace = keys.workspace_id()
    with ctx.db.write() as session:
        room = service.get_room(session, workspace, rid)
        contact = service.view(session, room).contacts[0]
        queued = messages.queue_out(
            session, room, contact, kind="TEXT", actor="test", now=clock.now(), text="two"
        )
    claimed = outbound.claim(ctx, [queued.id])
    assert [w.message_id for w in claimed] == [queued.id]
    assert outbound.claim(ctx, [queued.id]) == []  # a second claimer gets nothing
    clock.advance(ctx.settings.lease + timedelta(seconds=1))
    assert jobs.reconcile_sends(ctx) == 1
    last = api.get(f"/api/v1/rooms/{rid}/messages")["items"][-1]
    assert (last["status"], last["error_title"].startswith("outcome unknown")) == ("FAILED", True)
    assert [m.text for m in outbox.sent_to(CALLER)] == [
        ctx.settings.direct_welcome_text.replace("{user}", "Grace Agent"),
        "one",
    ]

    # 24 h later the window has lapsed: the scheduler makes the room LIMITED, and free-form
    # text is refused until the contact writes again.
    clock.advance(timedelta(hours=24))
    assert jobs.recheck_windows(ctx) == 1
    assert api.get(f"/api/v1/rooms/{rid}")["status"] == "LIMITED"
    status, body = problem(lambda: api.post(f"/api/v1/rooms/{rid}/messages", {"text": "late"}))
    assert (status, body["code"]) == (409, "template_required")
    post_direct(
        live_server.url,
        {
            "network": "WHATSAPP_DIRECT",
            "from": CALLER,
            "to": VIRTUAL,
            "text": "back",
            "id": "2",
            "timestamp": clock.now().isoformat(),
        },
    )
    assert api.get(f"/api/v1/rooms/{rid}")["status"] == "ACTIVE"
    assert api.post(f"/api/v1/rooms/{rid}/messages", {"text": "welcome back"})["items"]

    # Members: add, idempotent, the owner cannot leave.
    other = make_user(api, "second@x.test")
    api.post(f"/api/v1/rooms/{rid}/members", {"user_id": other})
    room = api.post(f"/api/v1/rooms/{rid}/members", {"user_id": other})
    assert sorted(m["id"] for m in room["members"]) == sorted([owner, other])
    api.request("DELETE", f"/api/v1/rooms/{rid}/members/{other}")
    status, _ = problem(lambda: api.request("DELETE", f"/api/v1/rooms/{rid}/members/{owner}"))
    assert status == 422
