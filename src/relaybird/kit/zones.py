"""Time zones as small numbers, and the zone of a phone number.

A recipient's zone is resolved once, at import, to the number of its IANA name in
``zone_names.NAMES`` (1-based; 0 means "the campaign's zone": a number phonenumbers places in
several zones, or in none). Pure functions, no database: the importer runs them in its worker
processes beside the phone validation.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.timezone import time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from relaybird.kit.zone_names import NAMES

CAMPAIGN_ZONE = 0
_IDS = {name: i for i, name in enumerate(NAMES, start=1)}
_BY_LOWER = {name.lower(): i for name, i in _IDS.items()}


def zone_id(name: str) -> int | None:
    """The number of an IANA zone name (any case), None when it is not one this system knows."""
    found = _BY_LOWER.get(name.strip().lower())
    if found is None:
        return None
    return found if loadable(NAMES[found - 1]) else None


def zone_name(zone: int) -> str | None:
    return NAMES[zone - 1] if 0 < zone <= len(NAMES) else None


@cache
def loadable(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return False
    return True


def zone_of_number(e164: str) -> int:
    """The zone ``phonenumbers.timezone.time_zones_for_number`` gives a valid E.164 number, or 0
    when it gives several zones or none. That call costs ~18 µs (it re-parses and types the
    number), so its answer is cached per prefix of the longest length its table uses (numbers
    sharing 9 leading digits share their type and zone), and a calling code whose every entry
    is one and the same zone (most countries) answers without it."""
    digits = e164.lstrip("+")
    for size in (1, 2, 3):
        single = _SINGLE_ZONE_CODES.get(digits[:size])
        if single is not None:
            return single
    key = digits[:TIMEZONE_LONGEST_PREFIX]
    found = _BY_PREFIX.get(key)
    if found is None:
        try:
            zones = tuple(time_zones_for_number(phonenumbers.parse(e164)))
        except phonenumbers.NumberParseException:
            zones = ()
        found = _single(zones)
        if len(_BY_PREFIX) >= _CACHE_MAX:
            _BY_PREFIX.clear()
        _BY_PREFIX[key] = found
    return found


_CACHE_MAX = 200_000
_BY_PREFIX: dict[str, int] = {}


@cache
def _single(zones: tuple[str, ...]) -> int:
    if len(zones) != 1:
        return CAMPAIGN_ZONE
    return _IDS.get(zones[0], CAMPAIGN_ZONE)


def _single_zone_codes() -> dict[str, int]:
    """Calling codes all of whose table entries name the same one zone."""
    by_code: dict[str, set[tuple[str, ...]]] = {}
    for prefix, zones in TIMEZONE_DATA.items():
        for size in (1, 2, 3):
            code = prefix[:size]
            if int(code) in COUNTRY_CODE_TO_REGION_CODE:
                by_code.setdefault(code, set()).add(tuple(zones))
                break
    return {
        code: _single(next(iter(lists)))
        for code, lists in by_code.items()
        if len(lists) == 1 and _single(next(iter(lists))) != CAMPAIGN_ZONE
    }


_SINGLE_ZONE_CODES = _single_zone_codes()
