"""One simulated business number: status, quality, messaging limit over a moving 24 h window,
throughput cap, the 7-day FLAGGED rule (DESIGN.md §2.1), as Meta plays them.

This is the simulator's own state, kept behind a small seam (``check_template``, ``tick``,
``set_quality``, ...) that returns *signals* (webhooks Meta would send) instead of sending them.
The rules themselves (ladders, the FLAGGED period, tier upgrades) are the engine's pure
``senders.lifecycle``: the simulator plays Meta with exactly the rules the engine enforces.
Time comes in as an argument, so the rules are plain functions of (state, now).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import relaybird.senders.lifecycle as lc
from relaybird.config import LimitModel
from relaybird.senders.transitions import (
    LIMIT_RECIPIENTS,
    MessagingLimit,
    QualityRating,
    SenderEvent,
    SenderStatus,
)

WINDOW = lc.WINDOW
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
FLAG_PERIOD = lc.FLAG_PERIOD

# Unique business-initiated recipients per moving 24 h; None: unlimited.
TIER_LIMITS: dict[str, int | None] = {str(t): n for t, n in LIMIT_RECIPIENTS.items()}


@dataclass(frozen=True)
class Signal:
    """A webhook Meta would send: its ``field`` and ``value`` (wire shape)."""

    field: str
    value: dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    code: int
    title: str
    details: str | None = None  # error_data.details (Meta's specifics); the title when None


@dataclass
class NumberState:
    phone_number_id: str
    access_token: str
    display_phone_number: str
    waba_id: str
    limit_model: str = "PER_NUMBER"  # PER_NUMBER | PER_PORTFOLIO
    tier: str = "TIER_1K"
    quality: str = "GREEN"  # GREEN | YELLOW | RED | NA
    banned: bool = False
    pending: bool = False
    offline: bool = False
    flagged_at: datetime | None = None
    # While flagged: since when quality has been GREEN/YELLOW again (the 7-day hold).
    quality_ok_since: datetime | None = None
    throughput_mps: int = 80
    # phone → when it last counted against the limit (oldest first): the moving 24 h window.
    window: OrderedDict[str, datetime] = field(default_factory=OrderedDict)
    # phone → when its customer-service window closes (opened by the user's last message).
    service_windows: dict[str, datetime] = field(default_factory=dict)
    # Unique recipients over the upgrade lookback (7 days), counted like the engine counts them.
    recent: lc.MovingWindow = field(default_factory=lc.MovingWindow)
    _bucket: float = field(default=-1.0, repr=False)
    _bucket_at: float = field(default=0.0, repr=False)

    # --- reads ---------------------------------------------------------------------------

    @property
    def limit(self) -> int | None:
        return TIER_LIMITS.get(self.tier, 1_000)

    def unique_recipients(self, now: datetime) -> int:
        self._prune(now)
        return len(self.window)

    def api_status(self, now: datetime) -> str:
        """The ``status`` field of GET /{phone-number-id} (Meta's open set)."""
        if self.banned:
            return "BANNED"
        if self.pending:
            return "PENDING"
        if self.offline:
            return "DISCONNECTED"
        if self._limit_reached(now):
            return "RESTRICTED"
        if self.flagged_at is not None:
            return "FLAGGED"
        return "CONNECTED"

    def service_window_open(self, phone: str, now: datetime) -> bool:
        closes = self.service_windows.get(phone)
        return closes is not None and closes > now

    # --- sends ---------------------------------------------------------------------------

    def check_throughput(self) -> Refusal | None:
        """Token bucket on real time: more than ``throughput_mps`` per second → 130429."""
        wall = time.monotonic()
        if self._bucket < 0:
            self._bucket, self._bucket_at = float(self.throughput_mps), wall
        self._bucket = min(
            float(self.throughput_mps),
            self._bucket + (wall - self._bucket_at) * self.throughput_mps,
        )
        self._bucket_at = wall
        if self._bucket < 1.0:
            return Refusal(130429, "Rate limit hit")
        self._bucket -= 1.0
        return None

    def check_template(self, phone: str, now: datetime) -> Refusal | None:
        """May a business-initiated message go to ``phone`` now? Counts it if so."""
        if self.banned:
            return Refusal(131031, "Account has been locked")
        if self.pending:
            return Refusal(133010, "Account not registered")
        if self.service_window_open(phone, now):
            return None  # inside a customer-service window: not business-initiated
        self._prune(now)
        if phone in self.window:
            self.window.move_to_end(phone)
            self.window[phone] = now
            self.recent.record(phone, now)
            return None
        limit = self.limit
        if limit is not None and len(self.window) >= limit:
            # Meta has no dedicated "limit reached" code; BSPs report the 131048 text.
            return Refusal(131048, "Spam rate limit hit")
        self.window[phone] = now
        self.recent.record(phone, now)
        return None

    def check_text(self, phone: str, now: datetime) -> Refusal | None:
        if self.banned:
            return Refusal(131031, "Account has been locked")
        if not self.service_window_open(phone, now):
            return Refusal(131047, "Re-engagement message")
        return None

    def open_service_window(self, phone: str, now: datetime) -> None:
        self.service_windows[phone] = now + CUSTOMER_SERVICE_WINDOW

    # --- lifecycle -----------------------------------------------------------------------

    def view(self) -> lc.SenderView:
        """This number as the shared lifecycle rules see it."""
        return lc.SenderView(
            status=SenderStatus.FLAGGED if self.flagged_at else SenderStatus.CONNECTED,
            limit=MessagingLimit(self.tier),
            model=LimitModel(self.limit_model),
            quality=lc.read_quality(self.quality) or QualityRating.UNKNOWN,
            flagged_at=self.flagged_at,
            quality_ok_since=self.quality_ok_since,
        )

    def _keep(self, step: lc.Step) -> None:
        after = step.after
        self.tier = str(after.limit)
        self.flagged_at = after.flagged_at if after.status == SenderStatus.FLAGGED else None
        self.quality_ok_since = after.quality_ok_since if self.flagged_at else None

    def set_quality(self, rating: str, now: datetime) -> list[Signal]:
        self.quality = rating
        if self.limit_model == "PER_PORTFOLIO":
            return []  # since 2025-10 quality no longer flags or downgrades (reference §3)
        quality = lc.read_quality(rating)
        view = replace(self.view(), quality=QualityRating.UNKNOWN)  # the rating is news
        step = None if quality is None else lc.on_quality(view, quality, now)
        if step is None:
            return []
        self._keep(step)
        if step.event == SenderEvent.QUALITY_LOW:
            return [self._quality_signal("FLAGGED", self.tier)]
        return []  # recovery shows only once it has held 7 days (``tick``)

    def set_tier(self, tier: str) -> list[Signal]:
        if tier not in TIER_LIMITS:
            raise ValueError(f"unknown tier {tier}")
        old, self.tier = self.tier, tier
        if old == tier:
            return []
        if self.limit_model == "PER_PORTFOLIO":
            value = {"max_daily_conversations_per_business": _portfolio_value(tier)}
            return [Signal("business_capability_update", value)]
        up = lc.rank(MessagingLimit(tier)) > lc.rank(MessagingLimit(old))
        return [self._quality_signal("UPGRADE" if up else "DOWNGRADE", tier, old)]

    def tick(self, now: datetime) -> list[Signal]:
        """Timed rules (the engine's own): the end of a FLAGGED period, recovered or not, and a
        tier upgrade once earned."""
        view = self.view()
        if view.status == SenderStatus.FLAGGED:
            step = lc.due(view, now, lc.Usage(used=0))
            if step is None:
                return []
            old = self.tier
            self._keep(step)
            if step.event == SenderEvent.QUALITY_RECOVERED:
                return [self._quality_signal("UNFLAGGED", self.tier)]
            return [self._quality_signal("DOWNGRADE", self.tier, old)] if step.limit_changed else []
        # Runs on every send: decide on the cheap upper bound (phones recorded) before pruning.
        need = lc.upgrade_threshold(view)
        if need is None or len(self.recent) < need:
            return []
        self.recent.prune(now)
        up = lc.upgrade(view, lc.Usage(used=0, unique_7d=len(self.recent)))
        return [] if up is None else self.set_tier(str(up.after.limit))

    def _quality_signal(self, event: str, current: str, old: str | None = None) -> Signal:
        value: dict[str, Any] = {
            "display_phone_number": self.display_phone_number,
            "event": event,
            "current_limit": current,
        }
        if old is not None:
            value["old_limit"] = old
        return Signal("phone_number_quality_update", value)

    def _limit_reached(self, now: datetime) -> bool:
        limit = self.limit
        return limit is not None and self.unique_recipients(now) >= limit

    def _prune(self, now: datetime) -> None:
        cutoff = now - WINDOW
        while self.window:
            phone, at = next(iter(self.window.items()))
            if at > cutoff:
                break
            del self.window[phone]

    def describe(self, now: datetime) -> dict[str, Any]:
        return {
            "phone_number_id": self.phone_number_id,
            "display_phone_number": self.display_phone_number,
            "waba_id": self.waba_id,
            "status": self.api_status(now),
            "quality_rating": self.quality,
            "messaging_limit": self.tier,
            "limit_model": self.limit_model,
            "unique_recipients_24h": self.unique_recipients(now),
            "throughput_mps": self.throughput_mps,
            "flagged_at": self.flagged_at.isoformat() if self.flagged_at else None,
        }


def _portfolio_value(tier: str) -> int | str:
    limit = TIER_LIMITS[tier]
    return "UNLIMITED" if limit is None else limit
