"""INCOMPLETE is per user, as in the seed (issue 12 item 11): on the Direct networks a contact
is an entry of one user's contact list. A number that is Ana's contact writing to Bea's virtual
number is "not in Bea's contact list": it becomes Bea's INCOMPLETE contact, in a room owned by
Bea, while Ana's contact stays Ana's and unchanged."""

from __future__ import annotations

from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.providers.direct import LoopbackDirectProvider
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.rooms.helpers import make_contact, make_user, post_direct, problem

ANA_NUMBER, BEA_NUMBER = "+14155550100", "+14155550101"
CALLER, SPAMMER = "+14155550199", "+14155550198"


def _contacts(api: ApiClient, network: str = "SMS_DIRECT") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/api/v1/contacts?network={network}")["items"]
    return items


def _write(server: LiveServer, to: str, sender: str = CALLER, **kw: Any) -> dict[str, Any]:
    body = {"network": "SMS_DIRECT", "from": sender, "to": to, "text": "hello", **kw}
    status, got = post_direct(server.url, body)
    assert status == 200, got
    return got


def test_anas_contact_writing_to_beas_number_is_onboarded_for_bea(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker
) -> None:
    outbox = LoopbackDirectProvider()
    ctx.direct = outbox
    api = ApiClient(live_server.url, keys.create())
    ana = make_user(api, "ana@x.test", virtual_number=ANA_NUMBER)
    bea = make_user(api, "bea@x.test", virtual_number=BEA_NUMBER)
    anas = make_contact(api, "SMS_DIRECT", ana, CALLER)
    assert api.get(f"/api/v1/contacts/{anas}")["status"] == "CONFIRMED"

    # The number is in Ana's list, not Bea's: it becomes Bea's INCOMPLETE contact.
    got = _write(live_server, BEA_NUMBER, id="m1")
    beas = got["contact_id"]
    assert beas != anas and got["contact_status"] == "INCOMPLETE"
    contact = api.get(f"/api/v1/contacts/{beas}")
    assert (contact["owner_user_id"], contact["phone"], contact["first_name"]) == (
        bea,
        CALLER,
        None,
    )
    room = api.get(f"/api/v1/rooms/{got['room_id']}")
    assert room["owner_user_id"] == bea
    assert [c["id"] for c in room["contacts"]] == [beas]
    assert [m.from_phone for m in outbox.sent_to(CALLER)] == [BEA_NUMBER]  # Bea's welcome
    # Ana's contact is untouched: still hers, CONFIRMED, with its own history only.
    mine = api.get(f"/api/v1/contacts/{anas}")
    assert (mine["owner_user_id"], mine["status"]) == (ana, "CONFIRMED")
    assert [h["event"] for h in api.get(f"/api/v1/contacts/{anas}/history")] == ["created"]
    assert sorted((c["owner_user_id"], c["status"]) for c in _contacts(api)) == sorted(
        [(ana, "CONFIRMED"), (bea, "INCOMPLETE")]
    )

    # Writing again to Bea: the same contact and room.
    again = _write(live_server, BEA_NUMBER, id="m2")
    assert (again["contact_id"], again["room_id"]) == (beas, got["room_id"])
    # Writing to Ana: her own contact, in a room of hers; nothing new for Bea.
    to_ana = _write(live_server, ANA_NUMBER, id="m3")
    assert (to_ana["contact_id"], to_ana["contact_status"]) == (anas, "CONFIRMED")
    assert api.get(f"/api/v1/rooms/{to_ana['room_id']}")["owner_user_id"] == ana
    assert len(_contacts(api)) == 2

    # Bea onboards hers; Ana's stays as it was.
    out = api.post(f"/api/v1/contacts/{beas}/onboard", {"first_name": "Sam", "last_name": "Lee"})
    assert out["contact"]["status"] == "CONFIRMED"
    assert api.get(f"/api/v1/contacts/{anas}")["first_name"] == "Ada"

    # One entry per user: Bea cannot have the number twice, a third user may have it too, and
    # a contact cannot be handed to a user who has the number already.
    status, err = problem(lambda: make_contact(api, "SMS_DIRECT", bea, CALLER))
    assert (status, err["code"]) == (409, "duplicate_contact")
    cid = make_user(api, "cid@x.test")
    third = make_contact(api, "SMS_DIRECT", cid, CALLER)
    status, err = problem(
        lambda: api.request("PATCH", f"/api/v1/contacts/{third}", {"owner_user_id": ana})
    )
    assert (status, err["code"]) == (409, "duplicate_contact")


def test_a_block_list_is_its_users_own(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker
) -> None:
    ctx.direct = LoopbackDirectProvider()
    api = ApiClient(live_server.url, keys.create())
    ana = make_user(api, "ana@x.test", virtual_number=ANA_NUMBER)
    bea = make_user(api, "bea@x.test", virtual_number=BEA_NUMBER)
    api.post(f"/api/v1/users/{bea}/blocked-numbers", {"phone": SPAMMER, "reason": "SPAM"})

    to_bea = _write(live_server, BEA_NUMBER, sender=SPAMMER, id="s1")
    to_ana = _write(live_server, ANA_NUMBER, sender=SPAMMER, id="s2")
    assert (to_bea["contact_status"], to_bea["message_status"]) == ("BLOCKED", "HELD")
    assert (to_ana["contact_status"], to_ana["message_status"]) == ("INCOMPLETE", "RECEIVED")
    assert to_bea["contact_id"] != to_ana["contact_id"]
    owners = {c["id"]: c["owner_user_id"] for c in _contacts(api)}
    assert owners == {to_bea["contact_id"]: bea, to_ana["contact_id"]: ana}
    # Unblocking Bea's contact changes nothing of Ana's.
    api.post(f"/api/v1/contacts/{to_bea['contact_id']}/unblock")
    assert api.get(f"/api/v1/contacts/{to_ana['contact_id']}")["status"] == "INCOMPLETE"
