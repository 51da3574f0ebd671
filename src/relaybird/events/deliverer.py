"""The event deliverer loop: outbox → subscriptions → signed POSTs, with retries.

Each step is three short transactions around the network (STYLE.md rule 8): fan out and claim
(commit), post every claimed delivery concurrently with no transaction open, record the outcomes
(commit). A process killed between claim and record loses nothing: the claim only pushed
``next_attempt_at`` forward by a lease, so the deliveries come due again (at-least-once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from relaybird.context import AppContext, Local
from relaybird.db.notify import OUTBOX, nap
from relaybird.events import service, signing
from relaybird.events.repository import DueDelivery
from relaybird.kit.poison import set_aside
from relaybird.providers.webhooks import PostOutcome, WebhookPoster

log = logging.getLogger("relaybird.events")

POSTER = Local(
    "events.webhook_poster", lambda ctx: WebhookPoster(allowed=ctx.settings.event_networks)
)
# Longer than the HTTP timeout, so a live attempt is never claimed twice.
LEASE = timedelta(minutes=2)
PRUNE_EVERY_S = 3600.0


@dataclass(frozen=True)
class DelivererConfig:
    batch: int = 100
    idle_sleep_s: float = 1.0  # new events wake the deliverer (db.notify); this is the safety net
    retention: timedelta = timedelta(days=7)
    policy: service.RetryPolicy = field(default_factory=service.RetryPolicy)


def poster(ctx: AppContext) -> WebhookPoster:
    return ctx.local(POSTER)


def _fan_out_and_claim(ctx: AppContext, config: DelivererConfig) -> list[DueDelivery]:
    now = ctx.clock.now()
    service.fan_out(ctx.db, at=now)
    with ctx.db.write() as session:
        return service.claim(
            session, now=now, lease=LEASE, limit=config.batch, skip_locked=ctx.db.is_postgres
        )


def _record(
    ctx: AppContext,
    config: DelivererConfig,
    outcomes: list[tuple[DueDelivery, PostOutcome]],
) -> dict[str, int]:
    tally: dict[str, int] = {}
    now = ctx.clock.now()
    with ctx.db.write() as session:
        for delivery, outcome in outcomes:
            status = service.record_outcome(
                session,
                delivery,
                status_code=outcome.status_code,
                error=outcome.error,
                ok=outcome.ok,
                at=now,
                policy=config.policy,
            )
            tally[status] = tally.get(status, 0) + 1
    return tally


async def _post(ctx: AppContext, delivery: DueDelivery) -> PostOutcome:
    try:
        body = service.body_of(delivery)
        timestamp = int(ctx.clock.now().timestamp())
        headers = signing.headers(
            delivery.secret, service.webhook_id(delivery.event_id), timestamp, body
        )
        return await poster(ctx).post(delivery.url, body, headers)
    except Exception as exc:
        # This delivery cannot be made (a corrupt secret, an unwritable URL, ...): a failed
        # attempt with its reason, retried with backoff and then FAILED like any other; the
        # deliveries claimed with it are posted and recorded all the same.
        return PostOutcome(None, set_aside(log, f"event delivery {delivery.id}", exc))


async def deliver_once(ctx: AppContext, config: DelivererConfig | None = None) -> dict[str, int]:
    """One step: fan out, claim, post, record. Returns {status: count} of the attempts made."""
    config = config or DelivererConfig()
    due = await asyncio.to_thread(_fan_out_and_claim, ctx, config)
    if not due:
        return {}
    outcomes = await asyncio.gather(*(_post(ctx, d) for d in due))
    tally = await asyncio.to_thread(_record, ctx, config, list(zip(due, outcomes, strict=True)))
    failed = [(d, o) for d, o in zip(due, outcomes, strict=True) if not o.ok]
    for delivery, outcome in failed[:5]:
        log.warning(
            "event delivery %s to subscription %s failed: %s",
            delivery.id,
            delivery.subscription_id,
            outcome.refused or outcome.error,
        )
    return tally


async def deliverer_loop(ctx: AppContext, stop: asyncio.Event) -> None:
    config = DelivererConfig()
    last_prune = 0.0
    while not stop.is_set():
        tally = await deliver_once(ctx, config)
        if time.monotonic() - last_prune > PRUNE_EVERY_S:
            last_prune = time.monotonic()
            before = ctx.clock.now() - config.retention
            pruned = await asyncio.to_thread(service.prune, ctx.db, before=before)
            if pruned:
                log.info("pruned %d delivered outbox events", pruned)
        if not tally:
            await nap(stop, OUTBOX, config.idle_sleep_s)
