from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from relaybird.context import AppContext
from relaybird.models import InboxEvent, SenderContact
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_read_the_database_at_scrape_time(ctx: AppContext, client: TestClient) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(
            session, ws, name="Main line", messaging_limit="TIER_1K", quality_rating="GREEN"
        )
        campaign = make_campaign(session, ws, sender, state="RUNNING")
        make_recipients(session, ws, campaign, 3, state="DELIVERED", at=now)
        make_recipients(session, ws, campaign, 2, state="SENDING_FAILED", at=now)
        make_recipients(session, ws, campaign, 4, state="INITIAL", at=now)
        session.add_all(
            [
                SenderContact(sender_id=sender, phone=f"+1555000000{i}", last_counted_at=now)
                for i in range(5)
            ]
            # Outside the 24 h window: not counted.
            + [
                SenderContact(
                    sender_id=sender,
                    phone="+15550009999",
                    last_counted_at=now - timedelta(hours=25),
                )
            ]
        )
        session.add(
            InboxEvent(
                source="whatsapp",
                dedupe_key="x" * 64,
                body=b"{}",
                status="PENDING",
                attempts=0,
                received_at=now - timedelta(seconds=30),
            )
        )

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    who = (("sender", "Main line"), ("sender_id", str(sender)), ("workspace_id", str(ws)))
    assert samples[("relaybird_sends_total", (("outcome", "accepted"),))] == 3
    assert samples[("relaybird_sends_total", (("outcome", "refused"),))] == 2
    assert samples[("relaybird_recipients", (("state", "INITIAL"),))] == 4
    assert samples[("relaybird_campaigns", (("state", "RUNNING"),))] == 1
    assert samples[("relaybird_sender_limit_used", who)] == 5
    assert samples[("relaybird_sender_limit", who)] == 1000
    assert (
        samples[
            (
                "relaybird_sender_status",
                tuple(sorted((*who, ("quality", "GREEN"), ("status", "CONNECTED")))),
            )
        ]
        == 1
    )
    assert samples[("relaybird_inbox_depth", (("status", "PENDING"),))] == 1
    assert samples[("relaybird_webhook_lag_seconds", ())] == 30
    assert samples[("relaybird_event_delivery_lag_seconds", ())] == 0

    # A second scrape sees a change made by anyone (here: the webhook got applied).
    with ctx.db.write() as session:
        session.query(InboxEvent).update({"status": "APPLIED"})
    samples = _samples(client.get("/metrics").text)
    assert samples[("relaybird_webhook_lag_seconds", ())] == 0
    assert samples[("relaybird_inbox_depth", (("status", "PENDING"),))] == 0
