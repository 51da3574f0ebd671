"""One sender's dispatcher: claim → start in small groups under a token bucket → send
concurrently → record.

Four kinds of tasks share queues (the listmonk shape): the claimer keeps about two batches
claimed ahead, in short write transactions; the starter takes claimed recipients a small group
at a time (a tenth of a second of sends), waits out any sender backoff and takes their tokens,
marks the group started (``send_started_at``, one short transaction) and hands it to the
workers, which call the provider at once with no transaction open; the recorder writes the
outcomes of everything that came back in one short transaction per flush. After a crash only the
started sends have an unknown outcome: the rest of what was claimed goes back untouched
(``reconcile``). Database work runs in threads (``asyncio.to_thread``) so the event loop keeps
sending meanwhile.

A template-stop or sender-stop error marks its campaign (or the whole sender) stopped at that
moment: every recipient claimed before the mark and not yet sent is released untouched, and the
claimer skips the campaign (or claims nothing) until the auto-pause (or the sender's new status,
which makes its campaigns wait) is committed; recipients claimed after that (an admin resumed,
a later reading said the number can send) are sent normally. A campaign paused or ended in the
database since the claim (an admin, a template webhook) is seen when the starter marks a group
started: that group's recipients of it, and the rest claimed before, go back untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from relaybird.campaigns.statuses import callback_data
from relaybird.context import AppContext
from relaybird.dispatcher import repository
from relaybird.dispatcher.claim import Claim, Claimed, claim, set_aside_unreadable
from relaybird.dispatcher.outcomes import STOP_KINDS, Outcome, SendPolicy, stop_reason
from relaybird.dispatcher.pace import Pace
from relaybird.dispatcher.record import record
from relaybird.dispatcher.retry import RetryPolicy
from relaybird.dispatcher.stops import Stops, Unwritten
from relaybird.dispatcher.suppressed import drop_opted_out
from relaybird.kit.poison import set_aside
from relaybird.providers.port import (
    ErrorKind,
    MessagingProvider,
    SenderCredentials,
    SendResult,
    TemplateMessage,
)
from relaybird.providers.whatsapp.errors import TEMPLATE_STATE_CODES
from relaybird.templates.builder import SlotValueError

log = logging.getLogger("relaybird.dispatcher")


@dataclass(frozen=True)
class Tuning:
    batch: int = 500
    flush_every: float = 0.1  # seconds between outcome flushes at most
    idle_poll: float = 0.25  # seconds between claims when nothing is due
    # ... and when the number is at its limit and no due recipient costs nothing (that search
    # reads the campaigns' due rows; the release moves the number out of it anyway).
    at_limit_poll: float = 2.0
    idle_exit: float = 2.0  # a runner with no RUNNING campaign for this long stops
    max_concurrency: int = 256


@dataclass(frozen=True)
class _Work:
    item: Claimed
    claimed_at: float  # monotonic time the claim transaction began
    claim: Claim


class SenderRunner:
    def __init__(
        self,
        ctx: AppContext,
        sender_id: int,
        provider: MessagingProvider,
        owner: str,
        tuning: Tuning | None = None,
    ) -> None:
        self.ctx = ctx
        self.sender_id = sender_id
        self.provider = provider
        self.owner = owner
        self.tuning = tuning or Tuning()
        settings = ctx.settings
        self.policy = SendPolicy(
            RetryPolicy(settings.max_attempts, settings.retry_base), settings.delivery_policy
        )
        self.rng = random.Random()
        self.pace = Pace(self.rng)
        self.stops = Stops()
        self.claimed: asyncio.Queue[_Work | None] = asyncio.Queue()  # claimed, not started
        self.queue: asyncio.Queue[_Work | None] = asyncio.Queue()  # started: send now
        # Set when a worker takes the last started send: the starter hands over the next group
        # (already marked) only then, so at any instant at most three groups are started and not
        # yet on the wire (one marked, one queued, one the workers hold), whatever the load —
        # what a kill -9 can leave "outcome unknown" — and marking overlaps the sending.
        self.picked = asyncio.Event()
        self.results: list[Outcome] = []
        self.results_ready = asyncio.Event()
        self.inflight = 0
        self.draining = False
        self.sent = 0

    # --- the three roles -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        workers: list[asyncio.Task[None]] = []
        recorder = asyncio.create_task(self._recorder(), name=f"recorder-{self.sender_id}")
        starter = asyncio.create_task(self._starter(), name=f"starter-{self.sender_id}")
        try:
            await self._claimer(stop, workers)
        finally:
            self.draining = True
            self.claimed.put_nowait(None)  # the starter releases what is left, then ends
            await asyncio.gather(starter, return_exceptions=True)
            for _ in workers:
                self.queue.put_nowait(None)
            await asyncio.gather(*workers, return_exceptions=True)
            self.results_ready.set()
            await recorder
            await asyncio.to_thread(self._drop_lease)

    async def _claimer(self, stop: asyncio.Event, workers: list[asyncio.Task[None]]) -> None:
        idle_since: float | None = None
        lease_renewed = 0.0
        lease = self.ctx.settings.lease
        while not stop.is_set():
            now_m = time.monotonic()
            if now_m - lease_renewed > lease.total_seconds() / 3:
                if not await asyncio.to_thread(self._renew_lease):
                    log.info("sender %s: another worker drives it now", self.sender_id)
                    return
                lease_renewed = now_m
            # Claim about a quarter second of sends at a time, at most two batches ahead (what
            # is claimed but not started goes back untouched if the process dies; only the
            # started group's outcome is unknown then).
            batch = max(20, min(self.tuning.batch, self.pace.rate // 4))
            backing_off = self.pace.backing_off()
            if backing_off > 0:
                # The sender is throttled: claiming now would only hold leases while waiting.
                await self._sleep(stop, min(backing_off, 0.25))
                continue
            if self.inflight >= 2 * batch or self.stops.sender_waiting:
                await self._sleep(stop, 0.005)
                continue
            started = time.monotonic()
            try:
                got = await asyncio.to_thread(self._claim_tx, self.stops.excluded, int(batch))
            except Exception as exc:
                # One unsendable row must not stop the sender: set such rows aside (ERROR with
                # the reason) and claim again. Nothing to set aside: fail as before.
                set_aside(log, f"sender {self.sender_id}: a claim", exc)
                if not await asyncio.to_thread(self._set_aside_tx, self.stops.excluded, int(batch)):
                    raise
                continue
            rate = max(1, got.throughput)
            self.pace.set_rate(rate)
            self._grow_workers(workers, rate)
            if got.items:
                idle_since = None
                self.inflight += len(got.items)
                for item in got.items:
                    self.claimed.put_nowait(_Work(item, started, got))
                continue
            if not got.campaign_ids and self.inflight == 0:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > self.tuning.idle_exit:
                    return
            else:
                idle_since = None
            # At the limit, or every campaign outside its send window: ask again less often.
            slow = got.at_limit or got.windows_closed
            idle = self.tuning.at_limit_poll if slow else self.tuning.idle_poll
            await self._sleep(stop, idle if self.inflight == 0 else 0.02)

    def _grow_workers(self, workers: list[asyncio.Task[None]], rate: int) -> None:
        want = max(8, min(self.tuning.max_concurrency, rate // 4))
        while len(workers) < want:
            workers.append(asyncio.create_task(self._worker(), name=f"send-{self.sender_id}"))

    async def _worker(self) -> None:
        while True:
            work = await self.queue.get()
            if self.queue.empty():
                self.picked.set()
            if work is None:
                return
            self._done(await self._send(work))

    async def _starter(self) -> None:
        """Claimed → started, a small group at a time: wait out a sender backoff, take each
        send's token, mark the group started in one short transaction, hand it to the workers
        (which send at once). A recipient given back here was never started."""
        while True:
            first = await self.claimed.get()
            if first is None:
                return
            group = [first]
            size = max(1, min(200, int(self.pace.rate) // 10))
            while len(group) < size and not self.claimed.empty():
                work = self.claimed.get_nowait()
                if work is None:
                    self.claimed.put_nowait(None)  # seen after this group
                    break
                group.append(work)
            ready: list[_Work] = []
            for work in group:
                if await self._admit_start(work):
                    ready.append(work)
            ready = [w for w in ready if not self._give_back(w)]
            if not ready:
                continue
            try:
                started = await asyncio.to_thread(self._mark_started_tx, [w.item for w in ready])
            except Exception:
                log.exception(
                    "sender %s: marking %d sends started failed", self.sender_id, len(ready)
                )
                for work in ready:
                    self._done(Outcome(work.item, released=True))
                continue
            marked = time.monotonic()
            while not self.queue.empty():  # the workers lag: hand over once they hold the last
                self.picked.clear()
                await self.picked.wait()
            for work in ready:
                if work.item.id in started.lost:
                    # No longer this claim's (it outwaited its lease): not sent, not recorded.
                    log.warning(
                        "sender %s: recipient %s outwaited its lease; not sent by this claim",
                        self.sender_id,
                        work.item.id,
                    )
                    self.inflight -= 1
                elif work.item.id in started.stopped:
                    # Its campaign stopped since the claim (paused, e.g. by a template webhook;
                    # ended): give back this one, and at once the rest claimed before now.
                    self.stops.campaign_gone(work.item.campaign_id, marked)
                    self._done(Outcome(work.item, released=True))
                else:
                    self.queue.put_nowait(work)

    async def _admit_start(self, work: _Work) -> bool:
        """Wait for this send's turn (backoff, token); False: given back instead."""
        if self._give_back(work):
            return False
        # Waiting out a sender backoff holds this recipient's lease. Past half of it, give the
        # recipient back (released: untouched, attempt not counted) rather than hold it.
        if not await self.pace.turn(work.claimed_at, self.ctx.settings.lease.total_seconds() / 2):
            self._done(Outcome(work.item, released=True))
            return False
        return True

    def _give_back(self, work: _Work) -> bool:
        if self.draining or self.stops.covers(work.item.campaign_id, work.claimed_at):
            self._done(Outcome(work.item, released=True))
            return True
        return False

    def _done(self, outcome: Outcome) -> None:
        self.results.append(outcome)
        if len(self.results) >= self.tuning.batch:
            self.results_ready.set()

    async def _recorder(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.results_ready.wait(), self.tuning.flush_every)
            self.results_ready.clear()
            if self.results:
                batch, self.results = self.results, []
                await self._flush(batch)
            elif self.draining and self.queue.empty() and self.claimed.empty():
                return

    # --- steps -----------------------------------------------------------------------------

    async def _send(self, work: _Work) -> Outcome:
        """A started send (its turn taken by the starter): call the provider now."""
        if self.draining or self.stops.covers(work.item.campaign_id, work.claimed_at):
            return Outcome(work.item, released=True)
        template = work.claim.templates[work.item.campaign_id]
        try:
            components = template.plan.components(work.item.params) if template.plan else None
        except SlotValueError as exc:  # the template changed at Meta since the import
            return Outcome(work.item, unexpected=f"cannot be sent: {exc}")
        message = TemplateMessage(
            to=work.item.phone,
            template_name=template.name,
            language=template.language,
            body_params=work.item.params,
            callback_data=callback_data(work.item.id),
            components=components,
        )
        creds = SenderCredentials(work.claim.phone_number_id, work.claim.access_token)
        started = time.monotonic()
        try:
            result = await self.provider.send_template(creds, message)
        except Exception as exc:
            log.exception("sender %s: provider call raised", self.sender_id)
            return Outcome(work.item, unexpected=f"unexpected failure: {type(exc).__name__}")
        self._observe(work, result, started)
        return Outcome(work.item, result=result)

    def _observe(self, work: _Work, result: SendResult, started: float) -> None:
        error = result.error
        if error is None:
            self.pace.succeeded(started)
            self.sent += 1
            return
        if error.kind in STOP_KINDS:
            reason = stop_reason(error)
            now_m = time.monotonic()
            if error.kind == ErrorKind.SENDER_STOP:
                if self.stops.sender_stopped(reason, now_m):
                    log.warning("sender %s stopped: %s", self.sender_id, reason)
            elif self.stops.campaign_stopped(
                work.item.campaign_id,
                reason,
                now_m,
                on_template=error.code in TEMPLATE_STATE_CODES,
                seq=work.claim.seq,
            ):
                log.warning("campaign %s stopped: %s", work.item.campaign_id, reason)
        elif self.pace.failed(error, started):
            # Throttled, a sender-wide outage, or a burst of one-off failures: every worker
            # waits, once for the burst. A lone failure only retries its recipient (recorded).
            log.info(
                "sender %s backs off %.2f s: %s",
                self.sender_id,
                self.pace.backing_off(),
                error.title,
            )

    async def _flush(self, batch: list[Outcome]) -> None:
        stops = self.stops.unwritten()
        while True:
            try:
                await asyncio.to_thread(self._record_tx, batch, stops)
                break
            except Exception:
                # The outcomes are known only here: keep them and try again (the leases keep
                # the rows ours meanwhile).
                log.exception("sender %s: recording %d outcomes failed", self.sender_id, len(batch))
                await asyncio.sleep(1.0)
        self.inflight -= len(batch)
        self.stops.written(stops)

    # --- transactions (run in threads) -----------------------------------------------------

    def _claim_tx(self, exclude: list[int], batch: int) -> Claim:
        with self.ctx.db.write() as session:
            return claim(
                session,
                self.sender_id,
                clock=self.ctx.clock.now,
                limit=batch,
                lease=self.ctx.settings.lease,
                exclude=exclude,
            )

    def _set_aside_tx(self, exclude: list[int], batch: int) -> list[int]:
        with self.ctx.db.write() as session:
            ids = set_aside_unreadable(
                session, self.sender_id, now=self.ctx.clock.now(), limit=batch, exclude=exclude
            )
        if ids:
            log.error("sender %s: recipients %s set aside (ERROR)", self.sender_id, ids)
        return ids

    def _record_tx(self, batch: list[Outcome], stops: Unwritten) -> None:
        with self.ctx.db.write() as session:
            record(
                session,
                batch,
                now=self.ctx.clock.now(),
                policy=self.policy,
                stops=stops,
                sender_stop=self.sender_id if stops.sender else None,
                rng=self.rng,
            )

    def _mark_started_tx(self, items: list[Claimed]) -> repository.Started:
        with self.ctx.db.write() as session:
            now = self.ctx.clock.now()
            # Opted out since the claim (issue 15): REMOVED now, given back like a stopped one's.
            dropped = drop_opted_out(session, [i.id for i in items], now)
            kept = [i for i in items if i.id not in dropped]
            leases = {i.id: i.lease_until for i in kept}
            started = repository.mark_started(session, [i.id for i in kept], now, leases)
            return repository.Started(dropped | started.stopped, started.lost)

    def _renew_lease(self) -> bool:
        ttl = max(self.ctx.settings.lease, timedelta(seconds=5))
        with self.ctx.db.write() as session:
            return repository.take_sender_lease(
                session, self.sender_id, self.owner, self.ctx.clock.now(), ttl
            )

    def _drop_lease(self) -> None:
        with self.ctx.db.write() as session:
            repository.drop_sender_lease(session, self.sender_id, self.owner)

    @staticmethod
    async def _sleep(stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
