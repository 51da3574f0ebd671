"""What template messages cost: the rate card, the estimate before a campaign, and the cost a
status webhook reports (pure but for loading the card's file).

Meta prices each *delivered* template message by the template's category (marketing, utility,
authentication) and the recipient's market (country calling code → a country or a region; since
2025-07-01, per message). The card is a data file (``rates.json`` beside this module, with its
date and source); an operator replaces it with ``RELAYBIRD_TEMPLATE_RATE_CARD``. A market whose
rate the card does not know is counted as *unpriced*, never guessed.
(docs/reference/templates-pricing-consent.md §7.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

BUILT_IN = Path(__file__).with_name("rates.json")
CATEGORIES = ("marketing", "utility", "authentication")


class RateCardError(ValueError):
    """The rate card file is missing or malformed; the message says where."""


class _Rates(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketing: Decimal = Field(ge=0)
    utility: Decimal = Field(ge=0)
    authentication: Decimal = Field(ge=0)


class _Market(BaseModel):
    model_config = ConfigDict(extra="forbid")
    countries: list[str]
    rates: _Rates | None = None

    @field_validator("countries")
    @classmethod
    def _iso(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if len(c) != 2 or not c.isalpha() or not c.isupper()]
        if bad:
            raise ValueError(f"countries are ISO 3166 alpha-2 codes in upper case: {bad}")
        return value


class _Card(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    unit: str = ""
    effective: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    compiled: str = ""
    source: str = Field(min_length=1)
    note: str = ""
    default_market: str
    markets: dict[str, _Market]


@dataclass(frozen=True)
class RateCard:
    currency: str
    effective: str
    source: str
    note: str
    default_market: str
    # market → category → price per delivered message; None: the card has no figure for it.
    rates: dict[str, dict[str, Decimal] | None]
    country_market: dict[str, str]  # ISO country → market

    def market_of_country(self, country: str | None) -> str:
        if country is None:
            return self.default_market
        return self.country_market.get(country.upper(), self.default_market)

    def rate(self, market: str, category: str) -> Decimal | None:
        table = self.rates.get(market)
        return None if table is None else table.get(category)


def load_rate_card(path: Path | str | None = None) -> RateCard:
    """Read and check a rate card file (the built-in one when ``path`` is None)."""
    where = Path(path) if path is not None else BUILT_IN
    try:
        raw = json.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RateCardError(f"rate card {where}: cannot read it ({exc.strerror})") from None
    except ValueError as exc:
        raise RateCardError(f"rate card {where}: not JSON ({exc})") from None
    try:
        card = _Card.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise RateCardError(
            f"rate card {where}: {loc}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from None
    if card.default_market not in card.markets:
        raise RateCardError(
            f"rate card {where}: default_market {card.default_market!r} is not a market"
        )
    country_market: dict[str, str] = {}
    for name, market in card.markets.items():
        for country in market.countries:
            if country in country_market:
                raise RateCardError(
                    f"rate card {where}: {country} is in both {country_market[country]!r} "
                    f"and {name!r}"
                )
            country_market[country] = name
    return RateCard(
        currency=card.currency,
        effective=card.effective,
        source=card.source,
        note=card.note,
        default_market=card.default_market,
        rates={
            name: None if m.rates is None else {c: getattr(m.rates, c) for c in CATEGORIES}
            for name, m in card.markets.items()
        },
        country_market=country_market,
    )


@lru_cache(maxsize=8)
def cached_rate_card(path: str | None = None) -> RateCard:
    """The card for a settings value (``Settings.template_rate_card``), read once per process."""
    return load_rate_card(path)


def country_of(phone: str | None) -> str | None:
    """The ISO country of an E.164 number (NANP area codes resolved: +1 809 is DO, not US).

    Every priced status webhook asks (thousands a second), so: a calling code of one country
    answers from the code alone (calling codes are prefix-free), and the numbers of shared codes
    (+1, +7, +44, ...), which need the full metadata match, are remembered."""
    if not phone:
        return None
    digits = phone.lstrip("+")
    if digits.isascii() and digits.isdigit() and not digits.startswith("0"):
        for width in (1, 2, 3):
            regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:width]))
            if regions is None:
                continue
            if len(regions) == 1 and _NSN_MIN <= len(digits) - width <= _NSN_MAX:
                return None if regions[0] in ("ZZ", "001") else regions[0]
            break
    return _country_of_number(phone)


# phonenumbers refuses national numbers shorter or longer than these (NumberParseException).
_NSN_MIN, _NSN_MAX = 2, 17


@lru_cache(maxsize=65536)
def _country_of_number(phone: str) -> str | None:
    try:
        number = phonenumbers.parse("+" + phone.lstrip("+"), None)
    except phonenumbers.NumberParseException:
        return None
    region: str | None = phonenumbers.region_code_for_number(number)
    return None if region in (None, "ZZ", "001") else region


def pricing_category(category: str | None) -> str | None:
    """A template category (MARKETING) or a webhook pricing category (marketing_lite,
    authentication-international) → the card's column; None for what the card does not price
    (service, referral_conversion)."""
    if category is None:
        return None
    value = category.strip().lower().replace("-", "_")
    if value in ("marketing", "marketing_lite"):
        return "marketing"
    if value == "utility":
        return "utility"
    if value in ("authentication", "authentication_international"):
        # The authentication-international rate is not in our card; the domestic one stands in.
        return "authentication"
    return None


@dataclass(frozen=True)
class MarketEstimate:
    market: str
    recipients: int
    rate: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True)
class Estimate:
    category: str
    currency: str
    amount: Decimal  # the priced recipients only
    priced: int
    unpriced: int  # recipients in markets the card has no rate for
    markets: list[MarketEstimate] = field(default_factory=list)
    card_effective: str = ""


def estimate(
    card: RateCard, category: str, recipients_by_country: Mapping[str | None, int]
) -> Estimate:
    """What sending ``category`` templates to these recipients would cost if every one were
    delivered (Meta bills delivered messages only: an upper bound). ``recipients_by_country``:
    ISO country (None: unknown) → count."""
    column = pricing_category(category)
    by_market: dict[str, int] = {}
    for country, n in recipients_by_country.items():
        if n > 0:
            market = card.market_of_country(country)
            by_market[market] = by_market.get(market, 0) + n
    total, priced, unpriced = Decimal(0), 0, 0
    markets: list[MarketEstimate] = []
    for market in sorted(by_market):
        n = by_market[market]
        rate = card.rate(market, column) if column else None
        amount = None if rate is None else rate * n
        if amount is None:
            unpriced += n
        else:
            total += amount
            priced += n
        markets.append(MarketEstimate(market, n, rate, amount))
    return Estimate(
        category=column or category.lower(),
        currency=card.currency,
        amount=total,
        priced=priced,
        unpriced=unpriced,
        markets=markets,
        card_effective=card.effective,
    )


@dataclass(frozen=True)
class CostRecord:
    """One message's cost as its status webhook reports it."""

    billable: bool | None  # None: the webhook did not say
    category: str | None  # Meta's pricing category, verbatim (marketing_lite, utility, ...)
    pricing_model: str | None  # PMP | CBP
    type: str | None  # regular | free_customer_service | free_entry_point
    market: str
    amount: Decimal | None  # None: not billable, or no rate for it in the card
    currency: str


def cost_of(pricing: Any, recipient: str | None, card: RateCard) -> CostRecord:
    """The ``pricing`` object of a status webhook (a dict, or the parsed ``Pricing`` event
    field) and the recipient's number → what the message costs by our card.

    Billable follows ``type`` when Meta sends it (``regular`` is billed, ``free_*`` are not);
    ``billable`` (to be deprecated) only when ``type`` is absent, as in MM API snippets."""

    def get(key: str) -> Any:
        if isinstance(pricing, Mapping):
            return pricing.get(key)
        return getattr(pricing, key, None)

    kind, billable_flag = get("type"), get("billable")
    if kind is not None:
        billable: bool | None = str(kind) == "regular"
    elif isinstance(billable_flag, bool):
        billable = billable_flag
    else:
        billable = None
    category = None if get("category") is None else str(get("category"))
    market = card.market_of_country(country_of(recipient))
    amount: Decimal | None = None
    if billable is False:
        amount = Decimal(0)
    elif billable:
        column = pricing_category(category)
        amount = card.rate(market, column) if column else None
    return CostRecord(
        billable=billable,
        category=category,
        pricing_model=None if get("pricing_model") is None else str(get("pricing_model")),
        type=None if kind is None else str(kind),
        market=market,
        amount=amount,
        currency=card.currency,
    )
