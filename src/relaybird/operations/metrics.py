"""Prometheus exposition of a Snapshot. Figures come from the database at scrape time, so every
`relaybird api` and `worker` process reports the same numbers (no per-process counters)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from relaybird.campaigns.transitions import CampaignState, RecipientState
from relaybird.models.contact import EmailStatus
from relaybird.models.inbox import InboxStatus
from relaybird.models.outbox import DeliveryStatus
from relaybird.operations.service import Snapshot


class SnapshotCollector(Collector):
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap

    def collect(self) -> Iterator[Metric]:
        s = self.snap
        sends = CounterMetricFamily(
            "relaybird_sends",
            "Template sends by outcome: accepted by the provider, or refused/failed for good.",
            labels=["outcome"],
        )
        sends.add_metric(["accepted"], s.sends_accepted)
        sends.add_metric(["refused"], s.sends_refused)
        yield sends

        recipients = GaugeMetricFamily(
            "relaybird_recipients", "Campaign recipients by state.", labels=["state"]
        )
        for state in RecipientState:
            recipients.add_metric([state.value], s.recipients.get(state.value, 0))
        yield recipients

        campaigns = GaugeMetricFamily(
            "relaybird_campaigns", "Campaigns by state.", labels=["state"]
        )
        for cstate in CampaignState:
            campaigns.add_metric([cstate.value], s.campaigns.get(cstate.value, 0))
        yield campaigns

        labels = ["sender_id", "workspace_id", "sender"]
        status = GaugeMetricFamily(
            "relaybird_sender_status",
            "1 for each sender's current status.",
            labels=[*labels, "status", "quality"],
        )
        used = GaugeMetricFamily(
            "relaybird_sender_limit_used",
            "Unique recipients reached in the moving 24 h messaging-limit window.",
            labels=labels,
        )
        limit = GaugeMetricFamily(
            "relaybird_sender_limit",
            "The sender's messaging limit (unique recipients per 24 h); absent when unlimited.",
            labels=labels,
        )
        throughput = GaugeMetricFamily(
            "relaybird_sender_throughput_mps",
            "Messages per second the sender may send.",
            labels=labels,
        )
        for h in s.senders:
            values = [str(h.sender.id), str(h.sender.workspace_id), h.sender.name]
            status.add_metric([*values, h.sender.status, h.sender.quality_rating], 1)
            used.add_metric(values, h.used)
            if h.capacity is not None:
                limit.add_metric(values, h.capacity)
            cap = h.sender.throughput_cap
            mps = h.sender.throughput_mps if cap is None else min(cap, h.sender.throughput_mps)
            throughput.add_metric(values, mps)
        yield from (status, used, limit, throughput)

        inbox = GaugeMetricFamily(
            "relaybird_inbox_depth", "Webhook bodies stored but not applied yet.", labels=["status"]
        )
        for name in (InboxStatus.PENDING, InboxStatus.RETRY, InboxStatus.FAILED):
            inbox.add_metric([name], s.inbox.get(name, 0))
        yield inbox
        yield GaugeMetricFamily(
            "relaybird_webhook_lag_seconds",
            "Age of the oldest webhook body not yet applied (0 when caught up).",
            value=s.webhook_lag_s,
        )
        refused = GaugeMetricFamily(
            "relaybird_webhooks_refused_last_hour",
            "Webhooks refused (no secret set, missing or wrong signature, too large) in the last "
            "hour, per door.",
            labels=["door"],
        )
        for door in sorted({"whatsapp", "direct", *s.webhooks_refused}):
            refused.add_metric([door], s.webhooks_refused.get(door, 0))
        yield refused

        deliveries = GaugeMetricFamily(
            "relaybird_event_deliveries", "Outgoing event deliveries by status.", labels=["status"]
        )
        for delivery in DeliveryStatus:
            deliveries.add_metric([delivery], s.deliveries.get(delivery, 0))
        yield deliveries
        yield GaugeMetricFamily(
            "relaybird_event_delivery_lag_seconds",
            "Age of the oldest outgoing event delivery still pending (0 when caught up).",
            value=s.delivery_lag_s,
        )

        emails = GaugeMetricFamily("relaybird_emails", "E-mails by status.", labels=["status"])
        for email in EmailStatus:
            emails.add_metric([email], s.emails.get(email, 0))
        yield emails


def render(snap: Snapshot) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snap))
    return generate_latest(registry)
