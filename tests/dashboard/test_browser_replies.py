"""Answering a reply from the dashboard in a real Chromium, against our real server (uvicorn,
background loops) and the simulator playing Meta: the simulator's user replies to a campaign
message, the reply shows in the campaign's Replies tab, an agent answers it there, lands on the
room and sees the answer's delivery ticks come back from the status webhooks."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from relaybird.auth.roles import Role
from relaybird.context import AppContext
from relaybird.models import CampaignReply, Sender
from tests.dashboard.helpers import PASSWORD, make_user
from tests.factories import make_campaign, make_recipient, make_workspace, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import wait_for

pytestmark = pytest.mark.browser
PHONE = "+12125550188"


def _sent_campaign(ctx: AppContext, sender_id: int) -> int:
    """A COMPLETED campaign whose one message went to PHONE just now."""
    with ctx.db.write() as s:
        ws = make_workspace(s)
        cid = make_campaign(s, ws, sender_id, state="COMPLETED", name="Spring offers")
        make_recipient(
            s, ws, cid, PHONE, state="DELIVERED", wamid="wamid.spring-1", at=ctx.clock.now()
        )
    return cid


def test_answer_a_reply_from_the_dashboard(
    app_ctx: AppContext, server: LiveServer, simulator: SimHandle, browser: Any
) -> None:
    ctx = app_ctx
    sender_id = new_sender(ctx, name="Support line")
    with ctx.db.read() as s:
        sender = s.get(Sender, sender_id)
        assert sender is not None
        pnid = sender.phone_number_id
        simulator.add_number(pnid, sender.access_token)
    # Delivered for certain: the simulator draws each message's fate (97 % delivered by default)
    # from its phone number id, which is random per run.
    simulator.configure(webhook_url=server.whatsapp_webhook_url, delivered_p=1.0)
    make_user(ctx, "ana@example.com", Role.AGENT)
    cid = _sent_campaign(ctx, sender_id)

    # The simulator's user writes back (quoting the campaign message): the webhook is applied.
    simulator.inbound(
        pnid, PHONE.lstrip("+"), "Can I still use the code?", context_wamid="wamid.spring-1"
    )

    def reply_id() -> int | None:
        with ctx.db.read() as s:
            return s.scalar(select(CampaignReply.id).where(CampaignReply.campaign_id == cid))

    reply = wait_for(reply_id)

    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    page.goto(f"{server.url}/ui/campaigns/{cid}/replies")
    page.fill("#email", "ana@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/ui/campaigns/{cid}/replies$"))
    row = page.locator(f"#replies tr[data-reply='{reply}']")
    expect(row).to_contain_text("Can I still use the code?")

    row.locator("details.answer summary").click()
    row.locator("textarea[name=text]").fill("Yes, until Sunday. Enjoy!")
    row.locator("button:has-text('Send answer')").click()
    page.wait_for_url(re.compile(r".*/ui/rooms/\d+\?flash=.*"))
    expect(page.locator(".flash")).to_contain_text(f"Answered reply {reply}")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("Can I still use the code?")
    expect(messages).to_contain_text("Yes, until Sunday. Enjoy!")

    # It went out as free-form text from the campaign's number...
    [out] = wait_for(lambda: [m for m in simulator.sent(PHONE) if m["type"] == "text"])
    assert (out["text"], out["phone_number_id"]) == ("Yes, until Sunday. Enjoy!", pnid)
    # ...and its delivery status comes back (the page shows it as ticks; reload to see it).
    deadline = time.monotonic() + 30
    delivered = page.locator(".msg.OUT .ticks[title=DELIVERED], .msg.OUT .ticks[title=READ]")
    while delivered.count() == 0:
        assert time.monotonic() < deadline, "the answer's delivery status never came back"
        time.sleep(0.5)
        page.reload()
    assert "✓✓" in delivered.first.inner_text()
