"""Answering a reply from the dashboard (the Replies tab and the recipient's page), through the
real forms, cookies and CSRF tokens; the browser run is in test_browser.py."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from relaybird.auth.roles import Role
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import RoomMessage
from tests.dashboard.helpers import csrf_of, logged_in, login
from tests.rooms.reply_helpers import inbound_reply, seed_reply_campaign


def _outbound(ctx: AppContext) -> int:
    with ctx.db.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(RoomMessage).where(RoomMessage.direction == "OUT")
            )
            or 0
        )


def test_an_agent_answers_from_the_replies_tab_and_the_recipient_page(
    ctx: AppContext, client: TestClient, clock: ManualClock
) -> None:
    cid, rid = seed_reply_campaign(ctx, with_user=False)
    inbound_reply(ctx, "wamid.in-1", "Is it still on?")
    logged_in(client, ctx, "ana@example.com", Role.AGENT)
    tab = client.get(f"/ui/campaigns/{cid}/replies").text
    [reply] = re.findall(r'data-answer="(\d+)"', tab)
    r = client.post(
        f"/ui/campaigns/{cid}/replies/{reply}/answer",
        data={"csrf": csrf_of(tab), "text": "Yes, until Sunday."},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    room_url = r.headers["location"]
    assert re.match(r"/ui/rooms/\d+\?flash=", room_url) and "Answered" in unquote(room_url)
    room = client.get(room_url).text
    assert "Is it still on?" in room and "Yes, until Sunday." in room
    assert _outbound(ctx) == 1

    page = client.get(f"/ui/campaigns/{cid}/recipients/{rid}").text
    assert f'data-answer="{reply}"' in page
    r = client.post(
        f"/ui/campaigns/{cid}/replies/{reply}/answer",
        data={"csrf": csrf_of(page), "text": "   ", "recipient_id": str(rid)},
        follow_redirects=False,
    )
    assert r.headers["location"].startswith(f"/ui/campaigns/{cid}/recipients/{rid}?flash=Error")
    assert "must not be empty" in unquote(r.headers["location"])

    clock.advance(timedelta(hours=25))
    login(client, "ana@example.com")  # the session lapsed meanwhile
    tab = client.get(f"/ui/campaigns/{cid}/replies").text
    r = client.post(
        f"/ui/campaigns/{cid}/replies/{reply}/answer",
        data={"csrf": csrf_of(tab), "text": "Hello?"},
        follow_redirects=False,
    )
    flash = unquote(r.headers["location"])
    assert flash.startswith(f"/ui/campaigns/{cid}/replies?flash=Error") and "closed at" in flash
    assert _outbound(ctx) == 1


def test_viewers_see_no_answer_form_and_cannot_post_one(
    ctx: AppContext, client: TestClient
) -> None:
    cid, _ = seed_reply_campaign(ctx, with_user=False)
    inbound_reply(ctx, "wamid.in-1")
    logged_in(client, ctx, "vic@example.com", Role.VIEWER)
    tab = client.get(f"/ui/campaigns/{cid}/replies").text
    assert "data-answer" not in tab and "Is it" not in tab
    [reply] = re.findall(r'data-reply="(\d+)"', tab)
    r = client.post(
        f"/ui/campaigns/{cid}/replies/{reply}/answer",
        data={"csrf": csrf_of(tab), "text": "hi"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post(
        f"/ui/campaigns/{cid}/replies/{reply}/answer",
        data={"csrf": "forged", "text": "hi"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert _outbound(ctx) == 0
