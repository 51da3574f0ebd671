"""Answering a campaign reply (rooms/answers.py): a free-form text to the number that replied,
in the sender's room for that number, only inside the 24 h window counted from the number's
last message; its rules at the API door (404, 422, 409 with when it closed, roles, workspaces).
The live run against the simulator is tests/rooms/test_answers_live.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from relaybird.auth.roles import Role
from relaybird.cli.main import app
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock, rfc3339
from relaybird.models import Contact, Room, RoomMessage, User
from relaybird.rooms import answers
from tests.factories import KeyMaker, make_campaign, make_sender, make_workspace
from tests.rooms.reply_helpers import PHONE, inbound_reply, seed_reply_campaign


def _reply_id(client: TestClient, headers: dict[str, str], cid: int) -> int:
    items = client.get(f"/api/v1/campaigns/{cid}/replies", headers=headers).json()["items"]
    return int(items[-1]["id"])


def _answerable(
    ctx: AppContext, client: TestClient, keys: KeyMaker, **seed: bool
) -> tuple[int, int, dict[str, str]]:
    """A campaign, its number's reply, an admin key: (campaign id, reply id, headers)."""
    cid, _ = seed_reply_campaign(ctx, **seed)
    inbound_reply(ctx, "wamid.in-1")
    admin = keys.headers()
    return cid, _reply_id(client, admin, cid), admin


def _counts(ctx: AppContext) -> tuple[int, int, int]:
    with ctx.db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(RoomMessage)) or 0,
            session.scalar(select(func.count()).select_from(Room)) or 0,
            session.scalar(select(func.count()).select_from(Contact)) or 0,
        )


def test_an_answer_opens_a_room_for_the_number_then_reuses_it(
    ctx: AppContext, client: TestClient, keys: KeyMaker, clock: ManualClock
) -> None:
    cid, _ = seed_reply_campaign(ctx)
    clock.advance(timedelta(hours=1))
    inbound_reply(ctx, "wamid.in-1")
    admin = keys.headers()
    reply = _reply_id(client, admin, cid)
    r = client.post(
        f"/api/v1/campaigns/{cid}/replies/{reply}/answer",
        json={"text": "Thanks! Your code is SPRING10."},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["room_created"] is True
    # The provider is unreachable in this test: the answer stays PENDING for a retry, or
    # FAILED; it is written either way, and never as a template.
    assert first["message"]["direction"] == "OUT" and first["message"]["kind"] == "TEXT"
    assert first["message"]["text"] == "Thanks! Your code is SPRING10."
    room = client.get(f"/api/v1/rooms/{first['room_id']}", headers=admin).json()
    assert room["network"] == "WHATSAPP" and [c["phone"] for c in room["contacts"]] == [PHONE]
    msgs = client.get(f"/api/v1/rooms/{first['room_id']}/messages", headers=admin).json()
    # The reply is in the room as it came (no welcome template: the person wrote first).
    assert [(m["direction"], m["kind"], m["text"]) for m in msgs["items"]] == [
        ("IN", "TEXT", "Yes please"),
        ("OUT", "TEXT", "Thanks! Your code is SPRING10."),
    ]
    contact = client.get(f"/api/v1/contacts/{first['contact_id']}", headers=admin).json()
    assert (contact["network"], contact["phone"], contact["status"]) == ("WHATSAPP", PHONE, None)

    second = client.post(
        f"/api/v1/campaigns/{cid}/replies/{reply}/answer",
        json={"text": "And free delivery."},
        headers=admin,
    ).json()
    assert (second["room_id"], second["room_created"], second["contact_id"]) == (
        first["room_id"],
        False,
        first["contact_id"],
    )
    assert _counts(ctx) == (3, 1, 1)  # the reply once, two answers; one room, one contact
    history = client.get(f"/api/v1/contacts/{first['contact_id']}/history", headers=admin)
    assert history.status_code == 200
    assert any(h.get("reason") == "answering a campaign reply" for h in history.json())


def test_the_window_is_24_hours_from_the_numbers_last_message(
    ctx: AppContext, client: TestClient, keys: KeyMaker, clock: ManualClock
) -> None:
    cid, _ = seed_reply_campaign(ctx)
    inbound_reply(ctx, "wamid.in-1")
    wrote = clock.now()
    admin = keys.headers()
    reply = _reply_id(client, admin, cid)
    url = f"/api/v1/campaigns/{cid}/replies/{reply}/answer"

    clock.advance(timedelta(hours=24))  # exactly 24 h later: closed (open is "until", exclusive)
    before = _counts(ctx)
    r = client.post(url, json={"text": "Hello?"}, headers=admin)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "template_required"
    assert problem["closed_at"] == rfc3339(wrote + timedelta(hours=24))
    assert problem["last_inbound_at"] == rfc3339(wrote)
    assert rfc3339(wrote + timedelta(hours=24)) in problem["detail"]
    assert _counts(ctx) == before  # nothing written

    clock.advance(timedelta(seconds=-1))  # one second before it closes: allowed
    assert client.post(url, json={"text": "Hello?"}, headers=admin).status_code == 201

    # A later message from the number (linked to the campaign too) opens it again, for the
    # earlier reply as well.
    clock.advance(timedelta(hours=30))
    assert client.post(url, json={"text": "Still there?"}, headers=admin).status_code == 409
    inbound_reply(ctx, "wamid.in-2", "I am back")
    clock.advance(timedelta(hours=23))
    assert client.post(url, json={"text": "Welcome back"}, headers=admin).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n\t"}, "text"),
        ({"text": "x" * 4097}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({}, "text"),
        ({"text": "hi", "user_id": 999}, "user_id"),
        ({"text": "hi", "user_id": 2**63}, "user_id"),
        ({"text": "hi", "user_id": 0}, "user_id"),
        ({"text": "hi", "template": "x"}, "template"),
    ],
)
def test_bad_input_is_a_422_that_changes_nothing(
    ctx: AppContext, client: TestClient, keys: KeyMaker, body: dict[str, object], field: str
) -> None:
    cid, reply, admin = _answerable(ctx, client, keys)
    before = _counts(ctx)
    r = client.post(f"/api/v1/campaigns/{cid}/replies/{reply}/answer", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert _counts(ctx) == before


def test_the_longest_text_whatsapp_takes_is_accepted(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    cid, reply, admin = _answerable(ctx, client, keys)
    text = "é" * answers.TEXT_MAX
    r = client.post(
        f"/api/v1/campaigns/{cid}/replies/{reply}/answer", json={"text": text}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert r.json()["message"]["text"] == text


def test_only_the_campaigns_workspace_and_agents_may_answer(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    cid, reply, admin = _answerable(ctx, client, keys)
    with ctx.db.write() as session:
        other = make_campaign(session, make_workspace(session), make_sender(session, 1))
    body = {"text": "hi"}
    before = _counts(ctx)
    elsewhere = keys.headers(Role.ADMIN, "elsewhere")
    cases = [
        (f"/api/v1/campaigns/{cid}/replies/{reply}/answer", elsewhere, 404),
        (f"/api/v1/campaigns/999999/replies/{reply}/answer", admin, 404),
        (f"/api/v1/campaigns/{cid}/replies/999999/answer", admin, 404),
        (f"/api/v1/campaigns/{other}/replies/{reply}/answer", admin, 404),  # another's reply
        (f"/api/v1/campaigns/{cid}/replies/{reply}/answer", keys.headers(Role.VIEWER), 403),
        (f"/api/v1/campaigns/{cid}/replies/{reply}/answer", {}, 401),
    ]
    for url, headers, status in cases:
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == status, (url, r.text)
    assert _counts(ctx) == before
    r = client.post(
        f"/api/v1/campaigns/{cid}/replies/{reply}/answer",
        json=body,
        headers=keys.headers(Role.AGENT),
    )
    assert r.status_code == 201, r.text


def test_a_workspace_without_a_user_is_told_to_create_one(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    cid, reply, admin = _answerable(ctx, client, keys, with_user=False)
    r = client.post(
        f"/api/v1/campaigns/{cid}/replies/{reply}/answer", json={"text": "hi"}, headers=admin
    )
    assert r.status_code == 422 and "relaybird users create" in r.text, r.text


def test_an_existing_contact_and_its_own_room_are_reused(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    """A number already in a room with others gets a room of its own (an answer never reaches
    anyone else); its existing contact is the one used."""
    cid, _ = seed_reply_campaign(ctx)
    admin = keys.headers()
    with ctx.db.write() as session:
        owner = session.scalar(select(User.id))
        sender = session.scalar(select(Room.sender_id))  # none yet
        assert sender is None
    sender_id = client.get(f"/api/v1/campaigns/{cid}", headers=admin).json()["sender_id"]
    contacts = []
    for phone, email in ((PHONE, "wen@example.com"), ("+12125550109", "bo@example.com")):
        r = client.post(
            "/api/v1/contacts",
            json={
                "network": "WHATSAPP",
                "owner_user_id": owner,
                "first_name": "W",
                "last_name": "Z",
                "company": "C",
                "email": email,
                "phone": phone,
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        contacts.append(r.json()["id"])
    shared = client.post(
        "/api/v1/rooms",
        json={
            "name": "shared",
            "network": "WHATSAPP",
            "owner_user_id": owner,
            "sender_id": sender_id,
        },
        headers=admin,
    ).json()["id"]
    for c in contacts:
        client.post(f"/api/v1/rooms/{shared}/contacts", json={"contact_id": c}, headers=admin)
    inbound_reply(ctx, "wamid.in-1")
    reply = _reply_id(client, admin, cid)
    got = client.post(
        f"/api/v1/campaigns/{cid}/replies/{reply}/answer", json={"text": "hi"}, headers=admin
    ).json()
    assert got["contact_id"] == contacts[0]
    assert got["room_id"] != shared and got["room_created"] is True
    with ctx.db.read() as session:
        to_shared = session.scalars(
            select(RoomMessage.text).where(
                RoomMessage.room_id == shared, RoomMessage.direction == "OUT"
            )
        ).all()
    assert "hi" not in to_shared


def test_the_cli_lists_replies_and_buttons_and_answers(
    sqlite_ctx: AppContext, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`relaybird campaign replies|buttons|answer` (the CLI runs on the real clock)."""
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", sqlite_ctx.settings.database_url)
    clock.advance(datetime.now(UTC) - timedelta(hours=30) - clock.now())
    cid, _ = seed_reply_campaign(sqlite_ctx)
    inbound_reply(sqlite_ctx, "wamid.old", "an old one")  # 30 h ago: its window is closed...
    clock.advance(timedelta(hours=30))
    runner = CliRunner()
    r = runner.invoke(app, ["campaign", "replies", str(cid), "--json"])
    assert r.exit_code == 0, r.output
    [old] = json.loads(r.output)
    r = runner.invoke(app, ["campaign", "answer", str(cid), str(old["id"]), "--text", "hi"])
    assert r.exit_code == 1 and "window" in r.output and "closed at" in r.output, r.output
    inbound_reply(sqlite_ctx, "wamid.new", "a new one")  # ...until the number writes again
    r = runner.invoke(app, ["campaign", "replies", str(cid)])
    assert r.exit_code == 0 and "a new one" in r.output, r.output
    r = runner.invoke(
        app, ["campaign", "answer", str(cid), str(old["id"]), "--text", "hi", "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["room_created"] is True and out["message"]["status"] == "PENDING"
    r = runner.invoke(app, ["campaign", "answer", str(cid), str(old["id"]), "--text", "again"])
    assert r.exit_code == 0 and f"room {out['room_id']}" in r.output, r.output
    r = runner.invoke(app, ["campaign", "answer", str(cid), str(old["id"]), "--text", " "])
    assert r.exit_code == 1 and "must not be empty" in r.output, r.output
    r = runner.invoke(app, ["campaign", "answer", str(cid), "999", "--text", "x"])
    assert r.exit_code == 1 and "not found" in r.output, r.output
    r = runner.invoke(app, ["campaign", "buttons", str(cid)])
    assert r.exit_code == 0, r.output
