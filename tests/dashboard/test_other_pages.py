from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from relaybird.auth.roles import Role
from relaybird.context import AppContext
from relaybird.events.mail import queue_email
from relaybird.events.transitions import apply_transition
from relaybird.models import (
    BlockedNumber,
    Contact,
    Room,
    RoomContact,
    RoomMember,
    RoomMessage,
    Sender,
    SenderContact,
    User,
)
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.senders.transitions import SENDER
from tests.dashboard.helpers import csrf_of, logged_in
from tests.factories import make_sender, make_workspace
from tests.fixtures.simulator import SimHandle


def test_senders_show_status_gauge_countdown_and_timeline(
    ctx: AppContext, client: TestClient
) -> None:
    clock_now = ctx.clock.now()
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line", messaging_limit="TIER_1K")
        session.add_all(
            SenderContact(sender_id=sender, phone=f"+1555{i:07d}", last_counted_at=clock_now)
            for i in range(250)
        )
        apply_transition(
            session,
            SENDER,
            Sender,
            sender,
            event="limit_reached",
            actor="test",
            reason="1,000 unique recipients in 24 h",
            at=clock_now - timedelta(hours=2),
            values={"restricted_until": clock_now + timedelta(hours=3)},
        )
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    page = client.get("/ui/senders").text
    assert "Main line" in page and "RESTRICTED" in page
    assert "25%" in page  # 250 of 1,000
    note = re.search(r"data-next>([^<]*)<", page)
    assert note, page
    assert "restricted until" in note.group(1) and ": in 3 h 0 min" in note.group(1), note.group(1)
    assert 'class="timeline"' in page and "RESTRICTED from" in page
    detail = client.get(f"/ui/senders/{sender}").text
    assert "limit_reached" in detail and "1,000 unique recipients in 24 h" in detail
    assert client.get("/ui/senders/999").status_code == 404


def test_contacts_rooms_and_messages_with_ticks(ctx: AppContext, client: TestClient) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        ws = make_workspace(session)
        owner = User(workspace_id=ws, name="Olga Owner", email="olga@example.com", role="agent")
        session.add(owner)
        session.flush()
        contacts = [
            Contact(
                workspace_id=ws,
                network="WHATSAPP",
                owner_user_id=owner.id,
                first_name="Wen",
                status="CONFIRMED",
                phone="+12125550001",
                window_expires_at=now + timedelta(hours=5),
            ),
            Contact(
                workspace_id=ws,
                network="WECHAT",
                owner_user_id=owner.id,
                first_name="Li",
                status="PENDING_CONFIRMATION",
                email="li@example.com",
            ),
            Contact(workspace_id=ws, network="WECHAT", owner_user_id=owner.id, first_name="Mo"),
        ]
        session.add_all(contacts)
        session.add(
            BlockedNumber(
                workspace_id=ws,
                user_id=owner.id,
                phone="+12125550009",
                reason="SPAM",
                created_at=now,
            )
        )
        queue_email(
            session,
            workspace_id=ws,
            to="li@example.com",
            subject="Join me on WeChat",
            body="...",
            kind="invitation",
            at=now,
        )
        session.flush()
        room = Room(workspace_id=ws, name="Deal room", network="WHATSAPP", owner_user_id=owner.id)
        session.add(room)
        session.flush()
        session.add(RoomMember(room_id=room.id, user_id=owner.id, added_at=now))
        session.add(RoomContact(room_id=room.id, contact_id=contacts[0].id, added_at=now))
        for text, status in (
            ("hello", "READ"),
            ("are you there?", "DELIVERED"),
            ("ping", "FAILED"),
        ):
            session.add(
                RoomMessage(
                    workspace_id=ws,
                    room_id=room.id,
                    direction="OUT",
                    author_user_id=owner.id,
                    text=text,
                    status=status,
                    created_at=now,
                    updated_at=now,
                )
            )
        room_id = room.id
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    page = client.get("/ui/contacts").text
    assert "WECHAT" in page and "PENDING_CONFIRMATION" in page and "no status" in page
    assert "Join me on WeChat" in page and "+12125550009" in page and "SPAM" in page
    wechat = client.get("/ui/contacts?network=WECHAT&status=NONE").text
    assert "Mo" in wechat and "Li" not in wechat.split('id="contacts"')[1].split("</table>")[0]
    rooms = client.get("/ui/rooms").text
    assert "Deal room" in rooms
    room_page = client.get(f"/ui/rooms/{room_id}").text
    assert 'class="ticks read"' in room_page and 'class="ticks delivered"' in room_page
    assert 'class="ticks failed"' in room_page
    assert "window open, 5 h 0 min left" in room_page


def test_admins_add_and_sync_a_sender_from_the_dashboard(
    ctx: AppContext, client: TestClient, simulator: SimHandle
) -> None:
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    form = {
        "name": "Sales line",
        "display_phone_number": "+1 212 555 0177",
        "phone_number_id": "300100",
        "access_token": "EAAG-dashboard",
    }
    logged_in(client, ctx, "viewer@example.com", Role.VIEWER)
    page = client.get("/ui/senders").text
    assert "Add a sender number" not in page
    refused = client.post("/ui/senders", data={"csrf": csrf_of(page), **form})
    assert refused.status_code == 403
    client.cookies.clear()
    logged_in(client, ctx, "admin@example.com", Role.ADMIN)
    page = client.get("/ui/senders").text
    added = client.post("/ui/senders", data={"csrf": csrf_of(page), **form})
    assert "Sender Sales line added" in added.text and "PENDING" in added.text
    sender_id = int(re.search(r'action="/ui/senders/(\d+)/sync"', added.text).group(1))  # type: ignore[union-attr]
    again = client.post("/ui/senders", data={"csrf": csrf_of(page), **form})
    assert "Error: phone_number_id 300100 is already registered as a sender" in again.text

    simulator.add_number("300100", "EAAG-dashboard")
    synced = client.post(f"/ui/senders/{sender_id}/sync", data={"csrf": csrf_of(page)})
    assert "Synced with the provider." in synced.text
    assert re.search(r"data-status><span[^>]*>CONNECTED<", synced.text)
    assert "registered" in synced.text  # the history row
