"""Zone numbers (kit/zones.py): stable, and a number's zone as phonenumbers gives it."""

from __future__ import annotations

import hashlib

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType
from phonenumbers.timezone import time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA

from relaybird.kit.zone_names import NAMES
from relaybird.kit.zones import CAMPAIGN_ZONE, zone_id, zone_name, zone_of_number

# Stored zone ids must keep naming the same zone: the catalogue only grows at its end.
FIRST_599 = "d2ab3b220ffe9461"


def test_the_catalogue_is_append_only() -> None:
    digest = hashlib.sha256("\n".join(NAMES[:599]).encode()).hexdigest()[:16]
    assert digest == FIRST_599, "kit/zone_names.py changed before its end: stored ids move"
    assert len(set(NAMES)) == len(NAMES)


def test_every_zone_phonenumbers_names_has_an_id() -> None:
    named = {z for zs in TIMEZONE_DATA.values() for z in zs if z != "Etc/Unknown"}
    assert {z for z in named if zone_id(z) is None} == set()


def test_names_round_trip_any_case() -> None:
    assert zone_name(zone_id("Europe/Prague") or 0) == "Europe/Prague"
    assert zone_id("europe/prague") == zone_id("Europe/Prague")
    assert zone_id("Mars/Olympus") is None
    assert zone_id("") is None
    assert zone_name(0) is None and zone_name(10_000) is None


def _examples() -> list[str]:
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (
            PhoneNumberType.FIXED_LINE,
            PhoneNumberType.MOBILE,
            PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return out


def _reference(e164: str) -> int:
    found = time_zones_for_number(phonenumbers.parse(e164))
    if len(found) != 1 or found[0] == "Etc/Unknown":
        return CAMPAIGN_ZONE
    return zone_id(found[0]) or CAMPAIGN_ZONE


def test_equal_to_time_zones_for_number_on_every_regions_examples() -> None:
    examples = _examples()
    assert len(examples) > 500
    assert {e: zone_of_number(e) for e in examples} == {e: _reference(e) for e in examples}


@given(st.sampled_from(_examples()), st.integers(0, 10**6), st.integers(1, 6))
def test_equal_to_time_zones_for_number_on_neighbours_of_the_examples(
    example: str, noise: int, tail: int
) -> None:
    """Other valid numbers near each example (its last digits changed): fixed lines, mobiles,
    toll-free and the rest, of every region."""
    digits = example[1:]
    candidate = "+" + digits[:-tail] + str(noise).zfill(tail)[-tail:]
    parsed = phonenumbers.parse(candidate)
    if not phonenumbers.is_valid_number(parsed):
        return
    assert zone_of_number(candidate) == _reference(candidate)


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+12125551234", "America/New_York"),
        ("+14155551234", "America/Los_Angeles"),
        ("+420601123456", "Europe/Prague"),
        ("+81312345678", "Asia/Tokyo"),
    ],
)
def test_known_numbers(phone: str, zone: str) -> None:
    assert zone_name(zone_of_number(phone)) == zone


def test_several_zones_or_none_is_the_campaigns_zone() -> None:
    assert zone_of_number("+79123456789") == CAMPAIGN_ZONE  # a Russian mobile: 16 zones
    assert zone_of_number("+61412345678") == CAMPAIGN_ZONE  # an Australian mobile
    assert zone_of_number("+999") == CAMPAIGN_ZONE
