"""Messaging-limit tiers: the two ladders, capacities, and reading the provider's tier strings.

Pure (no I/O); part of the sender-lifecycle rules that the engine and the simulator share.
"""

from __future__ import annotations

import math

from relaybird.config import LimitModel
from relaybird.senders.transitions import (
    LIMIT_RECIPIENTS,
    QUALITY_FROM_META,
    MessagingLimit,
    QualityRating,
)

L = MessagingLimit
# Per number: the seed's ladder (Meta's before 2025-10; TIER_50/250 for unverified businesses).
# Per portfolio: Meta's since 2025-10-07, shared by all numbers of a business portfolio.
LADDERS: dict[LimitModel, tuple[MessagingLimit, ...]] = {
    LimitModel.PER_NUMBER: (
        L.TIER_50,
        L.TIER_250,
        L.TIER_1K,
        L.TIER_10K,
        L.TIER_100K,
        L.TIER_UNLIMITED,
    ),
    LimitModel.PER_PORTFOLIO: (L.TIER_250, L.TIER_2K, L.TIER_10K, L.TIER_100K, L.TIER_UNLIMITED),
}
INITIAL_LIMIT = {LimitModel.PER_NUMBER: L.TIER_1K, LimitModel.PER_PORTFOLIO: L.TIER_250}


def capacity(limit: MessagingLimit) -> int | None:
    """Unique recipients per moving 24 h; None: unlimited."""
    return LIMIT_RECIPIENTS[limit]


def rank(limit: MessagingLimit) -> float:
    cap = capacity(limit)
    return math.inf if cap is None else cap


def tier_above(limit: MessagingLimit, model: LimitModel) -> MessagingLimit | None:
    """The next tier of the model's ladder (a tier off the ladder goes to the next one on it)."""
    return next((t for t in LADDERS[model] if rank(t) > rank(limit)), None)


def tier_below(limit: MessagingLimit, model: LimitModel) -> MessagingLimit | None:
    lower = [t for t in LADDERS[model] if rank(t) < rank(limit)]
    return lower[-1] if lower else None


def read_limit(raw: str | int | None) -> MessagingLimit | None:
    """A tier name (``TIER_1K``) or a count (business_capability_update: 1000, ``UNLIMITED``).
    None for TIER_NOT_SET and anything unreadable (the caller keeps the limit it has)."""
    if raw is None or isinstance(raw, bool):
        return None
    text = str(raw).strip().upper()
    if text in MessagingLimit.__members__:
        return MessagingLimit(text)
    if text in ("UNLIMITED", "-1"):
        return L.TIER_UNLIMITED
    if text.isdigit():
        for tier, cap in LIMIT_RECIPIENTS.items():
            if cap == int(text):
                return tier
    return None


def read_quality(raw: str | None) -> QualityRating | None:
    """GREEN/YELLOW/RED/NA (Meta) or our own names; None when unreadable."""
    if raw is None:
        return None
    return QUALITY_FROM_META.get(raw.strip().upper())
