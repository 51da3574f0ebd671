"""The sender-number rules of DESIGN.md §2.1 as pure functions: no I/O, time passed in.

Both the engine (to enforce limits before Meta does, and to explain what happens next) and the
simulator (which plays Meta) use this module, so the two can never disagree on a rule.

A sender is a ``SenderView`` (an immutable snapshot). Every rule takes a view, the time and
whatever usage figures it needs, and returns a ``Step`` (the view after, and the SENDER table
event when the status moved) or None when nothing changes. The engine writes a Step through
``events.transitions``; the simulator keeps ``step.after``.

Two limit models (chosen per workspace):
- PER_NUMBER (the seed): a number starts at TIER_1K; it goes one tier up once it reached twice
  its limit in unique recipients within 7 days; it goes one tier down when a FLAGGED period ends
  without recovery.
- PER_PORTFOLIO (Meta since 2025-10): the numbers of a portfolio (WABA) share one limit,
  TIER_250 → 2K → 10K → 100K → UNLIMITED; one tier up once at least half of it was used within
  7 days with good quality; quality never lowers it.

The moving window counts unique recipients of business-initiated messages over the last 24 h,
each recipient counted at its latest counted send (the sender_contacts table; ``MovingWindow``
below is the same counting in memory).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from relaybird.config import LimitModel

# Re-exported (``x as x``): the simulator reads tiers and ratings through this module.
from relaybird.senders.tiers import INITIAL_LIMIT as INITIAL_LIMIT
from relaybird.senders.tiers import LADDERS as LADDERS
from relaybird.senders.tiers import capacity as capacity
from relaybird.senders.tiers import rank as rank
from relaybird.senders.tiers import read_limit as read_limit
from relaybird.senders.tiers import read_quality as read_quality
from relaybird.senders.tiers import tier_above as tier_above
from relaybird.senders.tiers import tier_below as tier_below
from relaybird.senders.transitions import MessagingLimit, QualityRating, SenderEvent, SenderStatus

WINDOW = timedelta(hours=24)
FLAG_PERIOD = timedelta(days=7)
UPGRADE_LOOKBACK = timedelta(days=7)

GOOD_QUALITY = frozenset({QualityRating.HIGH, QualityRating.MEDIUM})


class Restriction(StrEnum):
    """Why a number is RESTRICTED: our own window accounting, or the provider said so."""

    LIMIT = "LIMIT"
    PROVIDER = "PROVIDER"


class ProviderReading(StrEnum):
    """What the provider's open set of status strings means to us."""

    SENDABLE = "SENDABLE"
    PENDING = "PENDING"
    UNREACHABLE = "UNREACHABLE"
    FLAGGED = "FLAGGED"
    RESTRICTED = "RESTRICTED"
    BANNED = "BANNED"
    UNKNOWN = "UNKNOWN"  # a string we do not know: never send, show it as it is


# Graph API reference + Meta's OpenAPI schemas (reference/whatsapp-cloud-api.md §3); OFFLINE is
# what WhatsApp Manager and BSPs display. MIGRATED, LINKED, UNKNOWN, ... fall to UNKNOWN.
PROVIDER_STATUS: dict[str, ProviderReading] = {
    "CONNECTED": ProviderReading.SENDABLE,
    "PENDING": ProviderReading.PENDING,
    "UNVERIFIED": ProviderReading.PENDING,
    "DISCONNECTED": ProviderReading.UNREACHABLE,
    "OFFLINE": ProviderReading.UNREACHABLE,
    "FLAGGED": ProviderReading.FLAGGED,
    "RESTRICTED": ProviderReading.RESTRICTED,
    "RATE_LIMITED": ProviderReading.RESTRICTED,
    "BANNED": ProviderReading.BANNED,
    "DELETED": ProviderReading.BANNED,
}
# Readings that do not block sending by themselves (a provider RESTRICTED moves our status,
# which then blocks business-initiated sends and still allows replies).
MAY_SEND_READINGS = frozenset(
    {ProviderReading.SENDABLE, ProviderReading.FLAGGED, ProviderReading.RESTRICTED}
)


def read_provider_status(raw: str | None) -> ProviderReading | None:
    """None when the provider has not told us anything yet."""
    if raw is None:
        return None
    return PROVIDER_STATUS.get(raw.strip().upper(), ProviderReading.UNKNOWN)


@dataclass(frozen=True)
class SenderView:
    status: SenderStatus
    limit: MessagingLimit
    model: LimitModel
    quality: QualityRating = QualityRating.UNKNOWN
    # The status to return to when OFFLINE or RESTRICTED ends.
    status_before: SenderStatus | None = None
    # The provider's status string, verbatim (an open set).
    provider_status: str | None = None
    flagged_at: datetime | None = None
    # While FLAGGED: since when quality has been HIGH/MEDIUM (None: still LOW).
    quality_ok_since: datetime | None = None
    restricted_by: Restriction | None = None
    restricted_until: datetime | None = None


@dataclass(frozen=True)
class Usage:
    """Window figures (of the sender, or of its portfolio in the PER_PORTFOLIO model)."""

    used: int  # unique recipients in the moving 24 h window
    # When the count falls below the limit again (None: there is room now, or no limit).
    frees_at: datetime | None = None
    unique_7d: int = 0  # unique recipients within the last 7 days (tier upgrades)


@dataclass(frozen=True)
class Step:
    before: SenderView
    after: SenderView
    event: SenderEvent | None  # the SENDER table event when the status moves; None: fields only
    reason: str

    @property
    def status_changed(self) -> bool:
        return self.before.status != self.after.status

    @property
    def limit_changed(self) -> bool:
        return self.before.limit != self.after.limit

    @property
    def became_flagged(self) -> bool:
        """The number entered a FLAGGED period (also while OFFLINE/RESTRICTED: a new flag)."""
        return self.after.flagged_at is not None and self.after.flagged_at != self.before.flagged_at

    @property
    def became_restricted(self) -> bool:
        return (
            self.after.status == SenderStatus.RESTRICTED
            and self.before.status != SenderStatus.RESTRICTED
        )


def _step(view: SenderView, event: SenderEvent | None, reason: str, **fields: object) -> Step:
    return Step(view, replace(view, **fields), event, reason)  # type: ignore[arg-type]


def added(model: LimitModel, limit: MessagingLimit | None = None) -> SenderView:
    """A number just added: PENDING, at the model's starting tier unless the provider said."""
    return SenderView(status=SenderStatus.PENDING, limit=limit or INITIAL_LIMIT[model], model=model)


def on_quality(view: SenderView, quality: QualityRating, now: datetime) -> Step | None:
    """A new quality rating. LOW flags the number; HIGH/MEDIUM starts the 7-day hold."""
    if quality == view.quality and not (
        quality == QualityRating.LOW and view.status == SenderStatus.CONNECTED
    ):
        return None
    fields: dict[str, object] = {"quality": quality}
    flagged = view.status == SenderStatus.FLAGGED or view.status_before == SenderStatus.FLAGGED
    if quality == QualityRating.LOW:
        if view.status == SenderStatus.CONNECTED:
            return _step(
                view,
                SenderEvent.QUALITY_LOW,
                "quality rating LOW",
                status=SenderStatus.FLAGGED,
                flagged_at=now,
                quality_ok_since=None,
                **fields,
            )
        if (
            view.status in (SenderStatus.OFFLINE, SenderStatus.RESTRICTED)
            and view.status_before == SenderStatus.CONNECTED
        ):
            # Flag the status it returns to; the move to FLAGGED shows when it is back.
            fields |= {"status_before": SenderStatus.FLAGGED, "flagged_at": now}
        fields["quality_ok_since"] = None
    elif quality in GOOD_QUALITY and flagged and view.quality_ok_since is None:
        fields["quality_ok_since"] = now
    return _step(view, None, f"quality rating {quality}", **fields)


def on_unflagged(view: SenderView, now: datetime) -> Step | None:
    """The provider says the flag is over (legacy UNFLAGGED): back to CONNECTED, same limit."""
    if view.status != SenderStatus.FLAGGED:
        return None
    quality = view.quality if view.quality in GOOD_QUALITY else QualityRating.MEDIUM
    return _step(
        view,
        SenderEvent.QUALITY_RECOVERED,
        "provider unflagged the number",
        status=SenderStatus.CONNECTED,
        quality=quality,
        flagged_at=None,
        quality_ok_since=None,
    )


def on_limit(view: SenderView, limit: MessagingLimit, reason: str) -> Step | None:
    """The provider set a new limit (UPGRADE/DOWNGRADE, business_capability_update, sync).
    A lower limit while FLAGGED is the provider ending the flag period without recovery."""
    if limit == view.limit:
        return None
    if view.status == SenderStatus.FLAGGED and rank(limit) < rank(view.limit):
        return _step(
            view,
            SenderEvent.FLAG_EXPIRED,
            reason,
            status=SenderStatus.CONNECTED,
            limit=limit,
            flagged_at=None,
            quality_ok_since=None,
        )
    return _step(view, None, reason, limit=limit)


def on_registered(view: SenderView) -> Step | None:
    if view.status != SenderStatus.PENDING:
        return None
    return _step(
        view,
        SenderEvent.REGISTERED,
        "provider confirms registration",
        status=SenderStatus.CONNECTED,
    )


def on_unreachable(
    view: SenderView, reason: str = "provider cannot reach the number"
) -> Step | None:
    if view.status not in (SenderStatus.CONNECTED, SenderStatus.FLAGGED, SenderStatus.RESTRICTED):
        return None
    return _step(
        view,
        SenderEvent.UNREACHABLE,
        reason,
        status=SenderStatus.OFFLINE,
        status_before=view.status,
    )


def on_reachable(view: SenderView) -> Step | None:
    if view.status != SenderStatus.OFFLINE:
        return None
    back = view.status_before or SenderStatus.CONNECTED
    return _step(
        view,
        SenderEvent.REACHABLE_AGAIN,
        f"reachable again: back to {back}",
        status=back,
        status_before=None
        if back != SenderStatus.RESTRICTED
        else SenderStatus.CONNECTED
        if view.flagged_at is None
        else SenderStatus.FLAGGED,
    )


def on_banned(view: SenderView, reason: str) -> Step | None:
    if view.status == SenderStatus.BANNED:
        return None
    return _step(
        view,
        SenderEvent.BANNED,
        reason,
        status=SenderStatus.BANNED,
        status_before=None,
        restricted_by=None,
        restricted_until=None,
    )


def on_reinstated(view: SenderView, reason: str) -> Step | None:
    if view.status != SenderStatus.BANNED:
        return None
    return _step(
        view,
        SenderEvent.REINSTATED,
        reason,
        status=SenderStatus.CONNECTED,
        flagged_at=None,
        quality_ok_since=None,
    )


def on_provider_restriction(view: SenderView, until: datetime | None, reason: str) -> Step | None:
    """The provider restricted business-initiated messaging (until ``until``, or until it says
    otherwise). Extends a restriction we already have."""
    if view.status in (SenderStatus.CONNECTED, SenderStatus.FLAGGED):
        return _step(
            view,
            SenderEvent.PROVIDER_RESTRICTED,
            reason,
            status=SenderStatus.RESTRICTED,
            status_before=view.status,
            restricted_by=Restriction.PROVIDER,
            restricted_until=until,
        )
    if view.status == SenderStatus.RESTRICTED:
        later = (
            until
            if view.restricted_until is None or until is None
            else max(until, view.restricted_until)
        )
        return _step(view, None, reason, restricted_by=Restriction.PROVIDER, restricted_until=later)
    return None


def on_provider_status(view: SenderView, raw: str | None, now: datetime) -> Step | None:
    """A status string read from the provider (sync). Records it verbatim and moves our status
    where the meaning is clear, one move per call (call again on ``step.after`` until None: a
    number coming back FLAGGED is first reachable again, then flagged). An unknown string moves
    nothing but blocks sending (see ``explain.gate_business_initiated``)."""
    reading = read_provider_status(raw)
    base = view if raw == view.provider_status else replace(view, provider_status=raw)
    step: Step | None = None
    said = f"provider reports {raw}"
    if reading in (ProviderReading.SENDABLE, ProviderReading.FLAGGED, ProviderReading.RESTRICTED):
        # All three mean registered, reachable and not banned.
        step = on_registered(base) or on_reachable(base) or on_reinstated(base, said)
        if (
            step is None
            and reading == ProviderReading.FLAGGED
            and base.status == SenderStatus.CONNECTED
        ):
            step = on_quality(base, QualityRating.LOW, now)
        if (
            step is None
            and reading == ProviderReading.RESTRICTED
            and base.status in (SenderStatus.CONNECTED, SenderStatus.FLAGGED)
        ):
            # Already RESTRICTED by our own accounting: that explains it; keep it as it is.
            step = on_provider_restriction(base, None, said)
        if (
            step is None
            and reading == ProviderReading.SENDABLE
            and base.status == SenderStatus.RESTRICTED
            and base.restricted_by == Restriction.PROVIDER
            and base.restricted_until is None
        ):
            # A restriction with no end date (a send error, a sync reading RESTRICTED) ends with
            # this reading, made after it: it ends now (``due`` releases it, or hands it to the
            # window when that is full). One with an end date (account_update ACCOUNT_RESTRICTION
            # with an expiration) is the WABA's enforcement, which the number's status does not
            # show: it waits for its expiry.
            step = _step(
                base, None, f"{said}: the provider restriction is over", restricted_until=now
            )
    elif reading == ProviderReading.UNREACHABLE:
        step = on_unreachable(base, said)
    elif reading == ProviderReading.BANNED:
        step = on_banned(base, said)
    if step is not None:
        return Step(view, step.after, step.event, step.reason)
    if base is not view:
        return _step(view, None, said, provider_status=raw)
    return None


def after_counted(view: SenderView, usage: Usage) -> Step | None:
    """After business-initiated sends were counted: RESTRICTED once the window is full."""
    cap = capacity(view.limit)
    if (
        view.status not in (SenderStatus.CONNECTED, SenderStatus.FLAGGED)
        or cap is None
        or usage.used < cap
    ):
        return None
    return _step(
        view,
        SenderEvent.LIMIT_REACHED,
        f"{usage.used}/{cap} unique recipients in the moving 24 h",
        status=SenderStatus.RESTRICTED,
        status_before=view.status,
        restricted_by=Restriction.LIMIT,
        restricted_until=usage.frees_at,
    )


def due(view: SenderView, now: datetime, usage: Usage) -> Step | None:
    """The time-driven rules: restriction release and the end of a FLAGGED period. Call again
    on ``step.after`` until it returns None (a release can make a flag decision due)."""
    if view.status == SenderStatus.RESTRICTED:
        return _release(view, now, usage)
    if view.status != SenderStatus.FLAGGED or view.flagged_at is None:
        return None
    if view.quality_ok_since is not None:
        if now >= view.quality_ok_since + FLAG_PERIOD:
            return _step(
                view,
                SenderEvent.QUALITY_RECOVERED,
                "quality HIGH/MEDIUM held 7 days: same limit",
                status=SenderStatus.CONNECTED,
                flagged_at=None,
                quality_ok_since=None,
            )
        return None
    if now < view.flagged_at + FLAG_PERIOD:
        return None
    lower = tier_below(view.limit, view.model) if view.model == LimitModel.PER_NUMBER else None
    if lower is None:
        why = (
            "no downgrade in the per-portfolio model"
            if view.model == LimitModel.PER_PORTFOLIO
            else "already at the lowest tier"
        )
        return _step(
            view,
            SenderEvent.FLAG_EXPIRED,
            f"7 days without recovery ({why})",
            status=SenderStatus.CONNECTED,
            flagged_at=None,
            quality_ok_since=None,
        )
    return _step(
        view,
        SenderEvent.FLAG_EXPIRED,
        f"7 days without recovery: limit {view.limit} → {lower}",
        status=SenderStatus.CONNECTED,
        limit=lower,
        flagged_at=None,
        quality_ok_since=None,
    )


def _release(view: SenderView, now: datetime, usage: Usage) -> Step | None:
    back = (
        view.status_before
        if view.status_before in (SenderStatus.CONNECTED, SenderStatus.FLAGGED)
        else SenderStatus.CONNECTED
    )
    cap = capacity(view.limit)
    full = cap is not None and usage.used >= cap
    if view.restricted_by == Restriction.PROVIDER:
        reading = read_provider_status(view.provider_status)
        if reading == ProviderReading.RESTRICTED:
            return None
        # It ends at its end date. One without an end date never ends with time alone, nor with
        # the provider status stored by a sync made before it (stale): a later reading that says
        # the number can send gives it an end date (``on_provider_status``).
        if view.restricted_until is None or now < view.restricted_until:
            return None
        if full:
            return _step(
                view,
                None,
                "provider restriction ended; the window is still full",
                restricted_by=Restriction.LIMIT,
                restricted_until=usage.frees_at,
            )
        return _step(
            view,
            SenderEvent.RESTRICTION_LIFTED,
            "provider restriction ended",
            status=back,
            status_before=None,
            restricted_by=None,
            restricted_until=None,
        )
    if full:
        if usage.frees_at != view.restricted_until:
            return _step(view, None, "window still full", restricted_until=usage.frees_at)
        return None
    return _step(
        view,
        SenderEvent.WINDOW_FREED,
        "the moving 24 h window has room again",
        status=back,
        status_before=None,
        restricted_by=None,
        restricted_until=None,
    )


def upgrade(
    view: SenderView, usage: Usage, worst_quality: QualityRating | None = None
) -> Step | None:
    """One tier up when earned (the provider's decision; the simulator applies it, the engine
    shows how far away it is). ``worst_quality``: the portfolio's lowest rating."""
    target = upgrade_target(view, usage, worst_quality)
    if target is None:
        return None
    return _step(
        view,
        None,
        f"limit {view.limit} → {target}: {usage.unique_7d} unique recipients within 7 days",
        limit=target,
    )


def upgrade_threshold(view: SenderView) -> int | None:
    """Unique recipients within 7 days that earn the next tier (None: top of the ladder)."""
    cap = capacity(view.limit)
    if cap is None or tier_above(view.limit, view.model) is None:
        return None
    return 2 * cap if view.model == LimitModel.PER_NUMBER else math.ceil(cap / 2)


def upgrade_target(
    view: SenderView, usage: Usage, worst_quality: QualityRating | None = None
) -> MessagingLimit | None:
    need = upgrade_threshold(view)
    quality = worst_quality or view.quality
    if (
        need is None
        or view.status not in (SenderStatus.CONNECTED, SenderStatus.RESTRICTED)
        or quality == QualityRating.LOW
    ):
        return None
    if view.flagged_at is not None or usage.unique_7d < need:
        return None
    return tier_above(view.limit, view.model)


def frees_at(counted_at: Iterable[datetime], limit: MessagingLimit) -> datetime | None:
    """When a full window has room again: the moment enough of the oldest counted recipients
    have left it. ``counted_at``: each in-window recipient's latest counted send."""
    cap = capacity(limit)
    stamps = sorted(counted_at)
    if cap is None or len(stamps) < cap:
        return None
    return stamps[len(stamps) - cap] + WINDOW


class MovingWindow:
    """Unique recipients of business-initiated messages, in memory (the simulator's accounting;
    the engine keeps the same counting in the sender_contacts table)."""

    def __init__(self) -> None:
        self._last: dict[str, datetime] = {}

    def __len__(self) -> int:
        """Phones recorded (after ``prune``: unique within the upgrade lookback)."""
        return len(self._last)

    def record(self, phone: str, at: datetime) -> None:
        self._last[phone] = at

    def counted_at(self, now: datetime, span: timedelta = WINDOW) -> list[datetime]:
        start = now - span
        return sorted(t for t in self._last.values() if start < t <= now)

    def usage(self, limit: MessagingLimit, now: datetime) -> Usage:
        in_window = self.counted_at(now)
        return Usage(
            used=len(in_window),
            frees_at=frees_at(in_window, limit),
            unique_7d=len(self.counted_at(now, UPGRADE_LOOKBACK)),
        )

    def prune(self, now: datetime) -> None:
        """Forget recipients older than the upgrade lookback (memory stays bounded)."""
        start = now - UPGRADE_LOOKBACK
        self._last = {p: t for p, t in self._last.items() if t > start}
