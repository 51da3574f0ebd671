"""What a number may do now and what happens next, in words: the gates the dispatcher asks
and the "next lifecycle moment" the API shows ("restricted until 14:05 UTC", "flagged:
recovers or drops to TIER_1K on 30 Nov"). Pure, like the rules in ``lifecycle``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from relaybird.config import LimitModel
from relaybird.kit.time import readable
from relaybird.senders.lifecycle import (
    FLAG_PERIOD,
    MAY_SEND_READINGS,
    ProviderReading,
    Restriction,
    SenderView,
    Usage,
    read_provider_status,
    upgrade_threshold,
)
from relaybird.senders.tiers import capacity, tier_above, tier_below
from relaybird.senders.transitions import MAY_REPLY, SenderStatus


@dataclass(frozen=True)
class Gate:
    """May this number send now; if not, why, and when that changes by itself (if known)."""

    allowed: bool
    reason: str | None = None
    until: datetime | None = None
    # Not allowed only because the limit is reached: recipients that cost nothing against it
    # (counted in the moving 24 h already, or inside an open customer-service window) still go,
    # since Meta counts unique recipients.
    counted_only: bool = False


def _provider_block(view: SenderView) -> str | None:
    reading = read_provider_status(view.provider_status)
    if reading is None or reading in MAY_SEND_READINGS:
        return None
    if reading == ProviderReading.UNKNOWN:
        return (
            f"provider reports status {view.provider_status!r}, unknown to relaybird: "
            "treated as do-not-send"
        )
    return f"provider reports status {view.provider_status}"


def gate_business_initiated(view: SenderView, usage: Usage, now: datetime) -> Gate:
    """Business-initiated (template) sends: only from CONNECTED/FLAGGED with room in the window."""
    if view.status == SenderStatus.RESTRICTED:
        until = view.restricted_until
        by_limit = view.restricted_by == Restriction.LIMIT and _provider_block(view) is None
        return Gate(False, explain_restriction(view, usage, now), until, counted_only=by_limit)
    if view.status == SenderStatus.PENDING:
        return Gate(False, "sender is PENDING: the provider has not confirmed registration")
    if view.status == SenderStatus.OFFLINE:
        return Gate(False, "sender is OFFLINE: the provider cannot reach the number")
    if view.status == SenderStatus.BANNED:
        return Gate(False, "sender is BANNED by the provider")
    blocked = _provider_block(view)
    if blocked is not None:
        return Gate(False, blocked)
    cap = capacity(view.limit)
    if cap is not None and usage.used >= cap:
        return Gate(False, f"messaging limit {view.limit} reached", usage.frees_at, True)
    return Gate(True)


def gate_reply(view: SenderView) -> Gate:
    """Replies inside an open customer-service window: also from a RESTRICTED number."""
    if view.status not in MAY_REPLY:
        return Gate(False, f"sender is {view.status}")
    reading = read_provider_status(view.provider_status)
    if reading not in (None, *MAY_SEND_READINGS):
        return Gate(False, _provider_block(view))
    return Gate(True)


def room(view: SenderView, usage: Usage) -> int | None:
    """New unique recipients that may still be reached now (None: no limit)."""
    cap = capacity(view.limit)
    return None if cap is None else max(cap - usage.used, 0)


@dataclass(frozen=True)
class Moment:
    """The next scheduled lifecycle moment, for people: when, what kind, and a sentence."""

    kind: str
    text: str
    at: datetime | None = None


def _when(at: datetime, now: datetime) -> str:
    return readable(at, now)


def _day(at: datetime) -> str:
    return f"{at.day} {at:%b}"


def explain_restriction(view: SenderView, usage: Usage, now: datetime) -> str:
    if view.restricted_by == Restriction.PROVIDER:
        if view.restricted_until is None:
            return "restricted by the provider until it lifts the restriction"
        return f"restricted by the provider until {_when(view.restricted_until, now)}"
    frees = usage.frees_at or view.restricted_until
    used = f"{usage.used}/{capacity(view.limit)} unique recipients in 24 h"
    if frees is None:
        return f"restricted: {used}; released as soon as the window has room"
    return f"restricted until {_when(frees, now)} ({used})"


def next_moment(view: SenderView, usage: Usage, now: datetime) -> Moment | None:
    if view.status == SenderStatus.RESTRICTED:
        at = view.restricted_until if view.restricted_by == Restriction.PROVIDER else usage.frees_at
        return Moment("restriction_release", explain_restriction(view, usage, now), at)
    if view.status == SenderStatus.FLAGGED and view.flagged_at is not None:
        if view.quality_ok_since is not None:
            at = view.quality_ok_since + FLAG_PERIOD
            return Moment(
                "flag_recovery",
                f"flagged: back to CONNECTED on {_day(at)} if quality stays {view.quality}",
                at,
            )
        at = view.flagged_at + FLAG_PERIOD
        lower = tier_below(view.limit, view.model)
        if view.model == LimitModel.PER_NUMBER and lower is not None:
            return Moment(
                "flag_decision", f"flagged: recovers or drops to {lower} on {_day(at)}", at
            )
        return Moment("flag_decision", f"flagged: back to CONNECTED on {_day(at)}, limit kept", at)
    if view.status == SenderStatus.PENDING:
        return Moment("registration", "pending: waiting for the provider to confirm registration")
    if view.status == SenderStatus.OFFLINE:
        back = view.status_before or SenderStatus.CONNECTED
        return Moment("reachability", f"offline: back to {back} when the provider reaches it")
    if view.status == SenderStatus.BANNED:
        return Moment("ban", "banned by the provider: nothing can be sent or received")
    blocked = _provider_block(view)
    if blocked is not None:
        return Moment("provider_status", blocked)
    need, above = upgrade_threshold(view), tier_above(view.limit, view.model)
    if need is None or above is None:
        return None
    return Moment(
        "upgrade",
        f"next tier {above} after {need:,} unique recipients within 7 days "
        f"({usage.unique_7d:,} so far)",
    )
