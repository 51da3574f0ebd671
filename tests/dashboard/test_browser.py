"""The dashboard in a real Chromium against our real server (uvicorn, background loops) and the
simulator playing Meta: log in, create and start a campaign from the UI, watch the counts change
without a reload, see the sender go RESTRICTED, pause, remove a recipient."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.events.mail import queue_email
from relaybird.models import (
    BlockedNumber,
    Contact,
    Recipient,
    Room,
    RoomContact,
    RoomMember,
    RoomMessage,
    Sender,
    User,
)
from tests.dashboard.helpers import PASSWORD, make_user
from tests.factories import new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle

pytestmark = pytest.mark.browser
LIMIT = 50  # TIER_50: the sender is RESTRICTED after 50 unique recipients
ROWS = 80


def _seed_network_pages(ctx: AppContext) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as s:
        ws = 1
        owner = User(workspace_id=ws, name="Olga Novak", email="olga@example.com", role="agent")
        s.add(owner)
        s.flush()
        people = [
            ("WHATSAPP", "Wen", "Zhao", "CONFIRMED", "+12125550101"),
            ("WHATSAPP", "Ama", "Mensah", "UNAVAILABLE", "+12125550102"),
            ("WECHAT", "Li", "Wei", "PENDING_CONFIRMATION", None),
            ("WECHAT", "Mo", "Chen", "CONFIRMED", None),
            ("LINE", "Aiko", "Sato", "INVITE_EXPIRED", None),
            ("SMS_DIRECT", "Sam", "Reed", None, "+12125550105"),
        ]
        contacts = [
            Contact(
                workspace_id=ws,
                network=n,
                owner_user_id=owner.id,
                first_name=f,
                last_name=l,
                status=st,
                phone=ph,
                company="Acme" if n == "WECHAT" else None,
                email=f"{f.lower()}@example.com",
                window_expires_at=now + timedelta(hours=20) if f == "Wen" else None,
            )
            for n, f, l, st, ph in people
        ]
        s.add_all(contacts)
        s.add(
            BlockedNumber(
                workspace_id=ws,
                user_id=owner.id,
                phone="+12125550199",
                reason="SPAM",
                comment="bulk offers",
                created_at=now,
            )
        )
        queue_email(
            s,
            workspace_id=ws,
            to="li@example.com",
            subject="Olga invites you to chat on WeChat",
            body="...",
            kind="invitation",
            at=now,
        )
        s.flush()
        room = Room(
            workspace_id=ws, name="Acme renewal", network="WHATSAPP", owner_user_id=owner.id
        )
        s.add(room)
        s.flush()
        s.add(RoomMember(room_id=room.id, user_id=owner.id, added_at=now))
        s.add(RoomContact(room_id=room.id, contact_id=contacts[0].id, added_at=now))
        for direction, text, status in (
            ("SYSTEM", "Wen Zhao joined the room", "DELIVERED"),
            ("OUT", "Hello Wen, the renewal offer is ready.", "READ"),
            ("IN", "Thanks! Can you send the PDF?", "DELIVERED"),
            ("OUT", "Sent, see the attachment.", "DELIVERED"),
            ("OUT", "Any questions?", "SENT"),
        ):
            s.add(
                RoomMessage(
                    workspace_id=ws,
                    room_id=room.id,
                    direction=direction,
                    text=text,
                    status=status,
                    author_user_id=owner.id if direction == "OUT" else None,
                    contact_id=contacts[0].id if direction == "IN" else None,
                    created_at=now,
                    updated_at=now,
                )
            )


def _text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text()).strip()


def test_run_a_campaign_from_the_dashboard(
    app_ctx: AppContext, server: LiveServer, simulator: SimHandle, browser: Any, tmp_path: Any
) -> None:
    ctx = app_ctx
    sender_id = new_sender(
        ctx, name="Support line", messaging_limit="TIER_50", display_phone_number="+1 212 555 0100"
    )
    with ctx.db.read() as s:
        sender = s.get(Sender, sender_id)
        assert sender is not None
        simulator.add_number(sender.phone_number_id, sender.access_token)
    # Status webhooks (sent, delivered, read) come back to our receiver and are applied.
    simulator.configure(webhook_url=server.whatsapp_webhook_url)
    make_user(ctx, "ana@example.com")
    _seed_network_pages(ctx)
    csv = tmp_path / "spring.csv"
    csv.write_text(
        "phone,first_name\n"
        + "".join(f"+1212555{i:04d},Guest {i}\n" for i in range(1000, 1000 + ROWS))
    )

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    blocked: list[str] = []  # anything the Content-Security-Policy refused
    context.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page = context.new_page()
    page.goto(server.url + "/ui/campaigns")
    assert page.url.startswith(server.url + "/ui/login")
    page.fill("#email", "ana@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/campaigns$"))

    # Create the campaign from the form (not started yet), with the CSV upload.
    page.fill("#c-name", "Spring offers")
    page.select_option("#c-sender", str(sender_id))
    page.fill("#c-template", "spring_offer")
    page.fill("#c-params", "first_name")
    page.set_input_files("#c-file", str(csv))
    page.click("#new-campaign button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/campaigns/\d+\?flash=.*"))
    assert f"{ROWS} recipients accepted, 0 invalid" in _text(page, ".flash")
    campaign_url = page.url.split("?")[0]
    assert _text(page, "#kpi-sent") == "0"

    # Watch it in a second tab while the first one starts it: counts move without a reload.
    watcher = context.new_page()
    watcher.goto(campaign_url)
    watcher.evaluate("window.__notReloaded = true")
    page.click("#live form[action$='/start'] button")
    page.wait_for_url(re.compile(r".*flash=Campaign%20started.*"))
    # (Locator waits, not wait_for_function: the Content-Security-Policy forbids eval.)
    kpi = watcher.locator("#kpi-sent")
    expect(kpi).not_to_have_text(re.compile(r"^\s*0\s*$"), timeout=30_000)
    # The messaging limit stops it at 50 unique recipients; the sender goes RESTRICTED and the
    # campaign says why it waits.
    expect(kpi).to_have_text(str(LIMIT), timeout=60_000)
    watcher.wait_for_selector("#reason:has-text('RESTRICTED')", timeout=30_000)
    assert watcher.evaluate("window.__notReloaded") is True
    assert len({m["to"] for m in simulator.sent()}) == LIMIT
    watcher.reload()

    # Pause (admin), then remove a recipient that is still waiting.
    page.goto(campaign_url)
    page.click("#live form[action$='/pause'] button")
    page.wait_for_selector(".flash:has-text('Campaign paused.')")
    assert "PAUSED" in _text(page, "#live-inner .badge")
    page.select_option("#f-state", "INITIAL")
    page.click("#recipient-filter button[type=submit]")
    first = page.locator("#recipients tbody tr").first
    recipient_id = int(first.get_attribute("data-recipient"))
    page.on("dialog", lambda dialog: dialog.accept())
    first.locator("button:has-text('Remove')").click()
    page.wait_for_selector(f".flash:has-text('Recipient {recipient_id} removed.')")
    with ctx.db.read() as s:
        assert s.scalar(select(Recipient.state).where(Recipient.id == recipient_id)) == "REMOVED"
    page.goto(f"{campaign_url}/recipients/{recipient_id}")
    assert "removed by an admin" in _text(page, "#history")

    page.goto(server.url + "/ui/senders")
    card = page.locator(f"[data-sender='{sender_id}']")
    assert _text(card, "[data-status]") == "RESTRICTED by LIMIT"  # the messaging limit
    assert "restricted until" in _text(card, "[data-next]")  # the countdown
    page.goto(server.url + "/ui/campaigns")
    assert "Spring offers" in _text(page, "#campaigns")
    page.goto(server.url + "/ui/contacts")
    page.goto(server.url + "/ui/rooms")
    page.click("#rooms a")
    assert "✓✓" in _text(page, "#messages")

    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone.add_cookies(context.cookies())
    mobile = phone.new_page()
    mobile.goto(campaign_url)
    assert _text(mobile, "#kpi-sent") == str(LIMIT)
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    phone.close()
    context.close()
    assert blocked == []
