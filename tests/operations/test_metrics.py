from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from relaybird.models import InboxEvent, SenderContact
from tests.conftest import make_settings
from tests.factories import KeyMaker, make_campaign, make_recipients, make_sender, make_workspace

SCRAPER = {"Authorization": "Bearer test-metrics-token"}  # tests/conftest.py make_settings


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
            session, ws, name="Main line", messaging_limit="TIER_1K", quality_rating="HIGH"
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

    response = client.get("/metrics", headers=SCRAPER)
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
                tuple(sorted((*who, ("quality", "HIGH"), ("status", "CONNECTED")))),
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
    samples = _samples(client.get("/metrics", headers=SCRAPER).text)
    assert samples[("relaybird_webhook_lag_seconds", ())] == 0
    assert samples[("relaybird_inbox_depth", (("status", "PENDING"),))] == 0


def test_metrics_need_the_metrics_token_not_an_api_key(sqlite_ctx: AppContext) -> None:
    """The figures name every workspace's senders: no key of any workspace reads them."""
    with sqlite_ctx.db.write() as session:
        make_sender(session, make_workspace(session, "other"), name="Other tenant line")
    admin = KeyMaker(sqlite_ctx).headers("admin")
    with TestClient(create_app(sqlite_ctx)) as client:
        for headers in (
            {},
            admin,
            {"Authorization": "Bearer wrong"},
            {"Authorization": "Bearer é".encode()},
        ):
            response = client.get("/metrics", headers=headers)
            assert response.status_code == 401, response.text
            assert "Other tenant line" not in response.text
        assert "Other tenant line" in client.get("/metrics", headers=SCRAPER).text


def test_metrics_are_off_until_a_token_is_set(sqlite_url: str) -> None:
    ctx = AppContext.from_settings(make_settings(sqlite_url, metrics_token=""))
    with TestClient(create_app(ctx)) as client:
        response = client.get("/metrics", headers=SCRAPER)
        assert response.status_code == 403
        assert "RELAYBIRD_METRICS_TOKEN" in response.json()["detail"]
    ctx.db.dispose()
