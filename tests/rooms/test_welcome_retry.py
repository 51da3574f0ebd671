"""A welcome probe that fails transiently is retried like a campaign send, and re-adding a
contact whose last probe did not conclude probes again (issue 12 item 9). Over real HTTP: our
server with its loops, the simulator playing Meta (131000 "something went wrong" scripted)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.events.transitions import history
from relaybird.kit.time import ManualClock
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import make_contact, make_user, wait_for

PHONE = "+14155550123"


def _setup(
    ctx: AppContext, simulator: SimHandle, factory: Callable[..., LiveServer], keys: KeyMaker
) -> tuple[ApiClient, int, int]:
    sender = new_sender(ctx, phone_number_id="7008", access_token="tok-7008")
    simulator.add_number("7008", "tok-7008")
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    server = factory(loops=True)
    simulator.configure(webhook_url=server.whatsapp_webhook_url)
    api = ApiClient(server.url, keys.create())
    owner = make_user(api, "owner@x.test")
    cid = make_contact(api, "WHATSAPP", owner, PHONE)
    room = api.post(
        "/api/v1/rooms",
        {"name": "Deal", "network": "WHATSAPP", "owner_user_id": owner, "sender_id": sender},
    )
    return api, int(room["id"]), cid


def _welcomes(api: ApiClient, rid: int) -> list[dict[str, Any]]:
    items = api.get(f"/api/v1/rooms/{rid}/messages")["items"]
    return [m for m in items if m["kind"] == "WELCOME"]


def _status(api: ApiClient, cid: int) -> str | None:
    status: str | None = api.get(f"/api/v1/contacts/{cid}")["status"]
    return status


def _failed_attempts(api: ApiClient, rid: int, attempts: int) -> dict[str, Any] | None:
    """The welcome, once its ``attempts``-th attempt failed transiently."""
    found = _welcomes(api, rid)
    if found and found[-1]["attempts"] == attempts and found[-1]["error_code"] == 131000:
        return found[-1]
    return None


def test_a_transient_welcome_failure_is_retried_and_confirms_the_contact(
    ctx: AppContext,
    clock: ManualClock,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, rid, cid = _setup(ctx, simulator, live_server_factory, keys)
    simulator.fault("error", code=131000, count=1, to=PHONE.lstrip("+"))
    api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": cid})

    welcome = wait_for(lambda: _failed_attempts(api, rid, 1))
    # Not FAILED: waiting for its next attempt, the error visible; the contact unprobed yet.
    assert welcome["status"] == "PENDING" and welcome["next_attempt_at"] is not None
    assert _status(api, cid) is None
    assert simulator.sent_to(PHONE) == 0

    # Past the backoff the sender loop tries again: the probe goes out → CONFIRMED.
    clock.advance(ctx.settings.retry_base * 2)
    wait_for(lambda: _status(api, cid) == "CONFIRMED")
    [welcome] = _welcomes(api, rid)
    assert welcome["status"] in ("SENT", "DELIVERED", "READ")
    assert (welcome["attempts"], welcome["error_code"]) == (2, None)
    assert simulator.sent_to(PHONE) == 1
    with ctx.db.read() as session:
        moves = history(session, "room_message", welcome["id"], keys.workspace_id())
    # (the simulator's `sent` webhook may beat the send call's answer)
    assert [(m.event, m.error_code) for m in moves][:2] == [
        ("queued", None),
        ("retry_scheduled", 131000),
    ]
    assert moves[2].event in ("accepted", "status_sent")


def test_attempts_are_bounded_and_re_adding_probes_again(
    ctx: AppContext,
    clock: ManualClock,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, rid, cid = _setup(ctx, simulator, live_server_factory, keys)
    ctx.settings = ctx.settings.model_copy(update={"max_attempts": 2})
    simulator.fault("error", code=131000, count=2, to=PHONE.lstrip("+"))
    api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": cid})
    wait_for(lambda: _failed_attempts(api, rid, 1))
    clock.advance(timedelta(minutes=1))

    # The second (last) attempt fails too: FAILED, saying so; the contact was never probed.
    def gave_up() -> dict[str, Any] | None:
        found = _welcomes(api, rid)
        return found[-1] if found and found[-1]["status"] == "FAILED" else None

    failed = wait_for(gave_up)
    assert (failed["attempts"], failed["error_code"]) == (2, 131000)
    assert "gave up after 2 attempts" in failed["error_title"]
    assert _status(api, cid) is None
    clock.advance(timedelta(hours=1))
    assert len(_welcomes(api, rid)) == 1  # no more attempts

    # That probe did not conclude: re-adding the contact probes again, and this one goes out.
    api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": cid})
    wait_for(lambda: _status(api, cid) == "CONFIRMED")
    assert [w["status"] != "FAILED" for w in _welcomes(api, rid)] == [False, True]
    assert simulator.sent_to(PHONE) == 1
    # Now it concluded: re-adding again sends nothing more.
    api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": cid})
    assert len(_welcomes(api, rid)) == 2
