"""Times a person reads: the waiting banner says "until 1 Dec 05:43 UTC" (no raw RFC 3339 with
microseconds), and a sender's status timeline never starts before the sender existed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from relaybird.auth.roles import Role
from relaybird.campaigns import service as campaigns
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock, readable
from relaybird.senders import service as senders
from tests.dashboard.helpers import logged_in
from tests.factories import make_campaign, make_sender, make_workspace


def test_readable_drops_seconds_and_the_date_on_the_same_day() -> None:
    at = datetime(2026, 12, 1, 5, 43, 17, 123456, tzinfo=UTC)
    assert readable(at) == "1 Dec 05:43 UTC"
    assert readable(at, now=at + timedelta(hours=3)) == "05:43 UTC"
    assert readable(at.replace(tzinfo=None)) == "1 Dec 05:43 UTC"


def test_the_waiting_banner_reads_like_the_other_pages(ctx: AppContext, client: TestClient) -> None:
    until = datetime(2026, 12, 1, 5, 43, 17, 123456, tzinfo=UTC)
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, status="RESTRICTED", restricted_until=until)
        campaign = make_campaign(session, ws, sender, state="RUNNING", name="Spring sale")
    with ctx.db.read() as session:
        summary = campaigns.summary(session, ws, campaign)
    assert summary.waiting_reason is not None
    assert summary.waiting_reason.endswith("until 1 Dec 05:43 UTC")
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    page = client.get(f"/ui/campaigns/{campaign}").text
    assert "until 1 Dec 05:43 UTC" in page
    assert "05:43:17" not in page


def test_status_since_is_never_before_the_sender_was_created(
    ctx: AppContext, client: TestClient, clock: ManualClock
) -> None:
    created = clock.now()
    with ctx.db.write() as session:
        ws = make_workspace(session)
        new = senders.NewSender(
            name="Main line",
            phone_number_id="1234567890",
            display_phone_number="+1 555-010-2030",
            access_token="token",
        )
        sender = senders.add_sender(session, ws, new, actor="test", now=created)
        sender_id = sender.id
    clock.advance(timedelta(hours=2))
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    for page in (client.get("/ui/senders").text, client.get(f"/ui/senders/{sender_id}").text):
        since = re.search(r"[Ss]ince ([0-9: -]+) UTC", page)
        assert since is not None, page
        shown = datetime.fromisoformat(since.group(1)).replace(tzinfo=UTC)
        assert shown >= created.replace(microsecond=0)
