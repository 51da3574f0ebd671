"""Numbers sharing one limit (PER_PORTFOLIO) never overshoot it together (issue 12 item 5).

Three numbers of one portfolio at TIER_250, a campaign of 100 new recipients on each, claimed
concurrently: exactly 250 unique recipients are admitted (and reach the simulator), never one
more, on both databases, over many repetitions. The clock ticks on every reading so that a claim
counting the window as of an instant read before it held the lock would miss what the claim
before it admitted (the SQLite shape of the bug); on PostgreSQL the claims of different numbers
must wait for each other (the portfolio's lock).
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.dispatcher.runner import SenderRunner
from relaybird.kit.time import ManualClock
from relaybird.models import Sender
from relaybird.providers.port import MessagingProvider
from tests.dispatcher.harness import campaign_with, phones, run_until, sim_sender, states
from tests.factories import new_sender
from tests.fixtures.simulator import SimHandle

LIMIT = 250
NUMBERS = 3
EACH = 100


class TickingClock:
    """Each reading is a millisecond later than the one before (threads included)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            self._now += timedelta(milliseconds=1)
            return self._now


def _portfolio(ctx: AppContext, waba: str, sim: SimHandle | None = None) -> list[int]:
    fields = {
        "limit_model": "PER_PORTFOLIO",
        "messaging_limit": "TIER_250",
        "waba_id": waba,
    }
    if sim is None:
        return [new_sender(ctx, **fields) for _ in range(NUMBERS)]
    return [sim_sender(ctx, sim, **fields) for _ in range(NUMBERS)]


def _claim_concurrently(ctx: AppContext, senders: list[int], batch: int) -> list[str]:
    """Each number's runner claims in its own thread until nothing more is admitted."""
    provider = cast(MessagingProvider, None)  # claims only: nothing is sent
    runners = [SenderRunner(ctx, s, provider, f"test-{s}") for s in senders]
    start = threading.Barrier(len(runners))
    claimed: list[str] = []
    failures: list[BaseException] = []
    guard = threading.Lock()

    def drive(runner: SenderRunner) -> None:
        try:
            start.wait()
            while True:
                got = runner._claim_tx([], batch)
                with guard:
                    claimed.extend(item.phone for item in got.items)
                if not got.items:
                    return
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=drive, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    return claimed


def test_numbers_of_one_portfolio_never_admit_over_the_shared_limit(ctx: AppContext) -> None:
    ticking = dataclasses.replace(ctx, clock=TickingClock(ctx.clock.now()))
    for rep in range(12):
        senders = _portfolio(ctx, f"waba-shared-{rep}")
        for i, sender in enumerate(senders):
            campaign_with(ctx, sender, phones(EACH, start=rep * 1000 + i * EACH))
        claimed = _claim_concurrently(ticking, senders, batch=7 + rep % 5)
        assert len(claimed) == len(set(claimed))
        assert len(set(claimed)) == LIMIT, f"repetition {rep}: {len(set(claimed))} admitted"
        with ctx.db.read() as s:
            statuses = set(s.scalars(select(Sender.status).where(Sender.id.in_(senders))))
        assert statuses == {"RESTRICTED"}


def test_numbers_of_one_portfolio_reach_at_most_the_limit_at_the_graph_api(
    ctx: AppContext, clock: ManualClock, simulator: SimHandle
) -> None:
    """The real dispatcher loop against the simulator: unique recipients counted where they
    arrive."""
    ticking = dataclasses.replace(ctx, clock=TickingClock(clock.now()))
    for rep in range(3):
        waba = f"waba-live-{rep}"
        senders = _portfolio(ticking, waba, simulator)
        campaigns = [
            campaign_with(ticking, s, phones(EACH, start=5000 + rep * 1000 + i * EACH))
            for i, s in enumerate(senders)
        ]

        def settled(senders: list[int] = senders, campaigns: list[int] = campaigns) -> bool:
            with ctx.db.read() as s:
                restricted = set(s.scalars(select(Sender.status).where(Sender.id.in_(senders))))
            return restricted == {"RESTRICTED"} and not any(
                states(ctx, c).get("IN_PROGRESS") for c in campaigns
            )

        run_until(ticking, settled)
        pnids = _pnids(ctx, senders)
        reached = {m["to"] for m in simulator.requests() if m.get("phone_number_id") in pnids}
        assert len(reached) == LIMIT, f"repetition {rep}: {len(reached)} reached the Graph API"


def _pnids(ctx: AppContext, senders: list[int]) -> set[str]:
    with ctx.db.read() as s:
        return set(s.scalars(select(Sender.phone_number_id).where(Sender.id.in_(senders))))
