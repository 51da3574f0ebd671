"""What a campaign costs (issue 14): the estimate before it starts (its recipients by country ×
its template's category, by the rate card: templates/pricing.py) and the actual cost its status
webhooks' ``pricing`` reports (recorded per recipient as the statuses are applied), per campaign
and per sender.

The estimate reads the template's category when asked, so a recategorisation by Meta
(``template_category_update``) changes it at once; a category Meta announced for later is shown
beside it. Amounts are kept in millionths of the card's currency (integers: exact sums on both
databases).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from relaybird.campaigns.transitions import RecipientState
from relaybird.models import Campaign, Recipient, Template
from relaybird.providers.whatsapp.events import MessageStatus
from relaybird.templates.pricing import (
    Estimate,
    RateCard,
    RateCardError,
    cached_rate_card,
    cost_of,
    country_of,
    estimate,
)

log = logging.getLogger("relaybird.campaigns.costs")

MICROS = Decimal(1_000_000)
# Recipients a campaign sends (or sent) to: what the estimate counts.
SENDABLE = (
    RecipientState.INITIAL,
    RecipientState.IN_PROGRESS,
    RecipientState.RETRY_SCHEDULED,
    RecipientState.SENT,
    RecipientState.DELIVERED,
    RecipientState.READ,
)


def card(path: str | None) -> RateCard:
    return cached_rate_card(path)


# --- actual: from the status webhooks ----------------------------------------------------------


def record(
    session: Session, statuses: Mapping[int, Sequence[MessageStatus]], path: str | None
) -> None:
    """Each recipient's cost from the ``pricing`` of its statuses (the last one that has it).
    Idempotent (a replay writes the same values); a rate card that cannot be read records
    nothing and says so, it never holds the statuses back."""
    priced = {rid: s for rid, items in statuses.items() for s in items if s.pricing is not None}
    if not priced:
        return
    try:
        rates = card(path)
    except RateCardError as exc:
        log.warning("costs not recorded: %s", exc)
        return
    values = []
    for rid, status in priced.items():
        cost = cost_of(status.pricing, status.recipient, rates)
        micros = None if cost.amount is None else int(cost.amount * MICROS)
        values.append({"rid": rid, "micros": micros, "category": cost.category})
    stmt = (
        update(Recipient)
        .where(Recipient.id == bindparam("rid"))
        .values(cost_micros=bindparam("micros"), cost_category=bindparam("category"))
        .execution_options(synchronize_session=False)
    )
    session.connection().execute(stmt, values)


@dataclass(frozen=True)
class Actual:
    currency: str
    amount: Decimal
    billed: int  # messages with a price
    free: int  # messages Meta reported as free
    unpriced: int  # billable, but the card has no rate for their market/category
    by_category: dict[str, tuple[int, Decimal]] = field(default_factory=dict)


def actual(session: Session, campaign_ids: Sequence[int], rates: RateCard) -> Actual:
    """The cost the status webhooks reported for these campaigns' recipients."""
    rows = session.execute(
        select(
            Recipient.cost_category,
            func.count(Recipient.id),
            func.count(Recipient.cost_micros),
            func.coalesce(func.sum(Recipient.cost_micros), 0),
            func.sum(_is_zero()),
        )
        .where(
            Recipient.campaign_id.in_(list(campaign_ids)),
            Recipient.cost_category.is_not(None) | Recipient.cost_micros.is_not(None),
        )
        .group_by(Recipient.cost_category)
    ).all()
    amount, billed, free, unpriced = Decimal(0), 0, 0, 0
    by_category: dict[str, tuple[int, Decimal]] = {}
    for category, n, with_amount, micros, zero in rows:
        money = Decimal(int(micros or 0)) / MICROS
        amount += money
        free += int(zero or 0)
        billed += int(with_amount) - int(zero or 0)
        unpriced += int(n) - int(with_amount)
        by_category[str(category or "unknown")] = (int(n), money)
    return Actual(rates.currency, amount, billed, free, unpriced, by_category)


def _is_zero() -> ColumnElement[int]:
    return case((Recipient.cost_micros == 0, 1), else_=0)


def campaigns_of_sender(session: Session, workspace_id: int, sender_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Campaign.id).where(
                Campaign.workspace_id == workspace_id, Campaign.sender_id == sender_id
            )
        )
    )


# --- estimate: before it starts ------------------------------------------------------------------


def by_country(session: Session, campaign_id: int) -> dict[str | None, int]:
    """The campaign's recipients to send (or sent) by ISO country. Grouped in SQL by the first
    five characters of the E.164 number (a calling code, or +1 and a NANP area code: one
    country each), then one number per group names the country: a handful of groups, whatever
    the list's size."""
    prefix = func.substr(Recipient.phone, 1, 5)
    rows = session.execute(
        select(func.min(Recipient.phone), func.count(Recipient.id))
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.state.in_([s.value for s in SENDABLE]),
            Recipient.phone.is_not(None),
        )
        .group_by(prefix)
    ).all()
    out: dict[str | None, int] = {}
    for phone, n in rows:
        country = country_of(phone)
        out[country] = out.get(country, 0) + int(n)
    return out


@dataclass(frozen=True)
class Priced:
    category: str | None  # the template's (MARKETING, UTILITY, AUTHENTICATION); None: unknown
    pending_category: str | None  # a change Meta announced
    estimate: Estimate | None  # None: no category to price by


def estimate_for(
    session: Session, campaign: Campaign, template: Template | None, rates: RateCard
) -> Priced:
    category = template.category if template is not None else None
    pending = template.pending_category if template is not None else None
    if category is None:
        return Priced(None, pending, None)
    return Priced(category, pending, estimate(rates, category, by_country(session, campaign.id)))


def amounts_by_campaign(session: Session, campaign_ids: Sequence[int]) -> dict[int, Decimal]:
    rows = session.execute(
        select(Recipient.campaign_id, func.coalesce(func.sum(Recipient.cost_micros), 0))
        .where(Recipient.campaign_id.in_(list(campaign_ids)))
        .group_by(Recipient.campaign_id)
    ).all()
    return {int(cid): Decimal(int(micros or 0)) / MICROS for cid, micros in rows}
