"""The rate card (a data file with its date and source), the estimate before a campaign, and the
cost a status webhook's ``pricing`` object reports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaybird.providers.whatsapp.events import MessageStatus
from relaybird.providers.whatsapp.parse import parse_body
from relaybird.templates import pricing
from relaybird.templates.pricing import (
    BUILT_IN,
    RateCardError,
    cached_rate_card,
    cost_of,
    country_of,
    estimate,
    load_rate_card,
)
from tests.data import TEMPLATE_FIXTURES, WEBHOOK_FIXTURES

CARD = load_rate_card()


def test_the_built_in_card_says_its_date_source_and_what_it_lacks() -> None:
    assert CARD.currency == "USD" and CARD.effective == "2025-07-01"
    assert "sent.dm" in CARD.source and "NOT Meta's file" in CARD.note
    # The figures the reference gives (templates-pricing-consent.md §7), per region.
    assert CARD.rate("Rest of Asia Pacific", "marketing") == Decimal("0.0732")
    assert CARD.rate("Rest of Central & Eastern Europe", "utility") == Decimal("0.0212")
    assert CARD.rate("Rest of Western Europe", "authentication") == Decimal("0.0171")
    assert CARD.rate("Rest of Africa", "marketing") == Decimal("0.0225")
    assert CARD.rate("Other", "utility") == Decimal("0.0077")
    # A market whose figure no source gave us has none, rather than a guess.
    assert CARD.rate("India", "marketing") is None
    assert CARD.rate("North America", "utility") is None


def test_countries_map_to_meta_markets_with_nanp_area_codes_resolved() -> None:
    assert country_of("+61 2 9374 4000") == "AU"
    assert CARD.market_of_country("AU") == "Rest of Asia Pacific"
    assert country_of("+12125550123") == "US"
    assert CARD.market_of_country("US") == "North America"
    # +1 809 is the Dominican Republic: Rest of Latin America, not North America (reference §7).
    assert country_of("+18095550123") == "DO"
    assert CARD.market_of_country("DO") == "Rest of Latin America"
    assert CARD.market_of_country("ZW") == "Rest of Africa"  # moved from Other on 2025-10-01
    assert CARD.market_of_country("AQ") == "Other"
    assert CARD.market_of_country(None) == "Other"
    assert country_of("not a number") is None


def test_estimate_is_recipients_by_country_times_the_categorys_rate() -> None:
    result = estimate(CARD, "MARKETING", {"AU": 1000, "AT": 10, "IN": 5, "AQ": 2, None: 1})
    assert result.currency == "USD" and result.category == "marketing"
    assert (
        result.amount == Decimal("0.0732") * 1000 + Decimal("0.0592") * 10 + Decimal("0.0604") * 3
    )
    assert (result.priced, result.unpriced) == (1013, 5)
    india = next(m for m in result.markets if m.market == "India")
    assert india.rate is None and india.amount is None and india.recipients == 5
    utility = estimate(CARD, "UTILITY", {"AU": 1000})
    assert utility.amount == Decimal("11.3000")
    assert estimate(CARD, "service", {"AU": 3}).unpriced == 3


def _pricing_of(folder: Path, name: str) -> MessageStatus:
    [status] = [e for e in parse_body((folder / name).read_bytes()) if isinstance(e, MessageStatus)]
    return status


def test_cost_of_the_pricing_object_of_real_status_webhooks() -> None:
    free = _pricing_of(
        TEMPLATE_FIXTURES, "status-delivered-pmp-utility-free-customer-service--assembled.json"
    )
    record = cost_of(free.pricing, free.recipient, CARD)
    assert (record.billable, record.type, record.category, record.amount) == (
        False,
        "free_customer_service",
        "utility",
        Decimal(0),
    )
    marketing = _pricing_of(WEBHOOK_FIXTURES, "status-sent-pmp-marketing--whaloc.json")
    record = cost_of(marketing.pricing, "+61293744000", CARD)
    assert record.billable and record.pricing_model == "PMP" and record.type == "regular"
    assert record.market == "Rest of Asia Pacific" and record.amount == Decimal("0.0732")
    # MM API: no `type`, `billable` decides; marketing_lite is priced as marketing.
    lite = _pricing_of(TEMPLATE_FIXTURES, "status-sent-pmp-marketing-lite--assembled.json")
    record = cost_of(lite.pricing, "+43 1 234567", CARD)
    assert record.billable and record.type is None and record.category == "marketing_lite"
    assert record.amount == Decimal("0.0592")
    # Before July 2025 (CBP) a service conversation: billable, but the card prices no service.
    cbp = _pricing_of(WEBHOOK_FIXTURES, "status-sent-cbp-service--softlivery.json")
    record = cost_of(cbp.pricing, cbp.recipient, CARD)
    assert record.billable and record.pricing_model == "CBP" and record.amount is None
    # A plain dict works the same, and a market without a figure gives no amount.
    record = cost_of({"type": "regular", "category": "utility"}, "+919812345678", CARD)
    assert record.market == "India" and record.amount is None and record.billable


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_an_operator_card_replaces_the_built_in_one(tmp_path: Path) -> None:
    data = json.loads(BUILT_IN.read_text())
    data["effective"] = "2026-01-01"
    data["markets"]["India"]["rates"] = {
        "marketing": "0.0118",
        "utility": "0.0014",
        "authentication": "0.0014",
    }
    card = cached_rate_card(str(_write(tmp_path, data)))
    assert card.effective == "2026-01-01" and card.rate("India", "marketing") == Decimal("0.0118")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ({"currency": "USD"}, "effective: Field required"),
        (
            {
                "currency": "USD",
                "effective": "2026-01-01",
                "source": "s",
                "default_market": "Nowhere",
                "markets": {"Other": {"countries": []}},
            },
            "default_market 'Nowhere' is not a market",
        ),
        (
            {
                "currency": "USD",
                "effective": "2026-01-01",
                "source": "s",
                "default_market": "Other",
                "markets": {"A": {"countries": ["FR"]}, "Other": {"countries": ["FR"]}},
            },
            "FR is in both 'A' and 'Other'",
        ),
        (
            {
                "currency": "USD",
                "effective": "2026-01-01",
                "source": "s",
                "default_market": "Other",
                "markets": {
                    "Other": {
                        "countries": [],
                        "rates": {"marketing": "-1", "utility": 0, "authentication": 0},
                    }
                },
            },
            "markets.Other.rates.marketing",
        ),
    ],
)
def test_a_malformed_card_fails_with_a_clear_error(
    tmp_path: Path, content: object, message: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(RateCardError) as err:
        load_rate_card(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_a_missing_card_says_so(tmp_path: Path) -> None:
    with pytest.raises(RateCardError, match="cannot read it"):
        load_rate_card(tmp_path / "nope.json")


@given(
    st.one_of(
        st.text(alphabet="0123456789+ -x", max_size=22),
        st.builds(
            lambda code, rest: f"{code}{rest}",
            st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
            st.text(alphabet="0123456789", max_size=19),
        ),
    )
)
def test_country_of_answers_as_the_full_metadata_match(phone: str) -> None:
    """The fast path (a calling code of one country) and the remembered lookups answer exactly
    what phonenumbers' full parse and match answer."""
    try:
        number = phonenumbers.parse("+" + phone.lstrip("+"), None)
        region = phonenumbers.region_code_for_number(number)
        expected = None if region in (None, "ZZ", "001") else region
    except phonenumbers.NumberParseException:
        expected = None
    assert pricing.country_of(phone) == (expected if phone else None)
