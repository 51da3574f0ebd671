"""Time zones as small numbers, and the zone of a phone number.

A recipient's zone is resolved once, at import, to the number of its IANA name in
``zone_names.NAMES`` (1-based; 0 means "the campaign's zone": a number phonenumbers places in
several zones, or in none). Pure functions, no database: the importer runs them in its worker
processes beside the phone validation.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, is_number_type_geographical
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from relaybird.kit.phones import normalise_typed
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


def zone_of_number(e164: str, kind: int | None = None) -> int:
    """The zone ``phonenumbers.timezone.time_zones_for_number`` gives a valid E.164 number, or 0
    when it gives several zones or none, without its cost (~18 µs a number: it parses, types
    the number against the regions of its calling code, formats it again). That function
    answers its table's longest-prefix entry for a geographical number (a fixed line, or a
    mobile where mobiles are tied to a place) and its calling code's entry otherwise. Here the
    table is read as zone ids once, at import: a calling code whose entries all name one zone
    (most countries) answers at once; a number whose type does not tie it to a place answers
    its code's zone; else the longest prefix's zone (a few dict look-ups). ``kind``: its
    ``PhoneNumberType``, which the import's validation has already worked out
    (``kit.phones.normalise_typed``); worked out here otherwise.
    tests/kit/test_zones.py holds it equal to ``time_zones_for_number``."""
    digits = e164[1:] if e164[:1] == "+" else e164
    if digits[:1] in _CODES:
        code = digits[:1]
    elif digits[:2] in _CODES:
        code = digits[:2]
    elif digits[:3] in _CODES:
        code = digits[:3]
    else:
        return CAMPAIGN_ZONE
    single = _SINGLE_ZONE_CODES.get(code)
    if single is not None:
        return single
    if kind is None:
        kind = normalise_typed("+" + digits, "ZZ")[1]
    if not is_number_type_geographical(kind, int(code)):
        return _longest(code, len(code))
    # Geographical: the longest entry's zone, remembered per prefix of that entry's length.
    key = digits[: _LONGEST_OF.get(code, TIMEZONE_LONGEST_PREFIX)]
    found = _GEO_SEEN.get(key)
    if found is None:
        found = _longest(key, len(key))
        if len(_GEO_SEEN) >= _GEO_SEEN_MAX:
            _GEO_SEEN.clear()
        _GEO_SEEN[key] = found
    return found


_GEO_SEEN: dict[str, int] = {}
_GEO_SEEN_MAX = 100_000


def _longest(digits: str, longest: int) -> int:
    """The zone of the table's longest entry (at most ``longest`` digits) that prefixes
    ``digits`` (0: none, or several)."""
    for size in range(min(len(digits), longest), 0, -1):
        zone = _BY_PREFIX.get(digits[:size])
        if zone is not None:
            return zone
    return CAMPAIGN_ZONE


def _single(zones: tuple[str, ...]) -> int:
    if len(zones) != 1:
        return CAMPAIGN_ZONE
    return _IDS.get(zones[0], CAMPAIGN_ZONE)


def _single_zone_codes() -> dict[str, int]:
    """Calling codes all of whose table entries, their own included, name the same one zone."""
    by_code: dict[str, set[int]] = {}
    for prefix, zone in _BY_PREFIX.items():
        code = next((prefix[:n] for n in (1, 2, 3) if prefix[:n] in _CODES), None)
        if code is not None:
            by_code.setdefault(code, set()).add(zone)
    return {
        code: next(iter(found))
        for code, found in by_code.items()
        if len(found) == 1 and code in _BY_PREFIX and next(iter(found)) != CAMPAIGN_ZONE
    }


_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
_BY_PREFIX = {prefix: _single(tuple(zones)) for prefix, zones in TIMEZONE_DATA.items()}
_SINGLE_ZONE_CODES = _single_zone_codes()


def _longest_of() -> dict[str, int]:
    """The length of the longest entry under each calling code (where a look-up starts)."""
    out: dict[str, int] = {}
    for prefix in _BY_PREFIX:
        code = next((prefix[:n] for n in (1, 2, 3) if prefix[:n] in _CODES), None)
        if code is not None:
            out[code] = max(out.get(code, 0), len(prefix))
    return out


_LONGEST_OF = _longest_of()
