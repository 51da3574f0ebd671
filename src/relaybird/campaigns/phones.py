"""Validating one chunk of uploaded rows: phone numbers to E.164 (kit/phones.py), template
parameters present.

Pure functions of their arguments (no database, no settings), so a chunk can be validated in a
worker process while the importer writes the previous one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relaybird.kit.phones import normalise_typed
from relaybird.kit.zones import CAMPAIGN_ZONE, zone_id, zone_of_number

# The phone column's accepted names, compared case-insensitively (DESIGN.md §8).
PHONE_COLUMNS = ("phone", "guest phone number", "phone_number", "msisdn")
# An optional column giving the recipient's IANA time zone (send windows), overriding the one
# its number implies.
ZONE_COLUMNS = ("timezone", "time_zone")


@dataclass(frozen=True)
class Checked:
    row: int
    phone: str | None  # E.164 when valid
    raw_phone: str
    params: tuple[str, ...]
    reason: str | None  # None: valid (duplicates are decided later, across chunks)
    zone_id: int = CAMPAIGN_ZONE  # kit/zones.py: the row's zone, or its number's


def check_chunk(
    rows: Sequence[tuple[int, Sequence[str]]],
    phone_index: int,
    param_indexes: Sequence[int],
    param_names: Sequence[str],
    region: str,
    zone_index: int | None = None,
) -> list[Checked]:
    """``zone_index``: the column naming the row's time zone, if the file has one."""
    out: list[Checked] = []
    for row_number, cells in rows:
        refused = getattr(cells, "reason", None)  # readers.RefusedRow: over an upload limit
        if refused is not None:
            out.append(Checked(row_number, None, "", (), refused))
            continue
        raw = cells[phone_index].strip() if phone_index < len(cells) else ""
        params = tuple(cells[i].strip() if i < len(cells) else "" for i in param_indexes)
        reason: str | None = None
        phone: str | None = None
        if not raw:
            reason = "empty phone"
        else:
            phone, kind = normalise_typed(raw, region)
            if phone is None:
                reason = f"not a valid number: {raw[:32]!r}"
        if reason is None:
            for name, value in zip(param_names, params, strict=True):
                if not value:
                    reason = f"missing template parameter {name!r}"
                    phone = None
                    break
        zone = CAMPAIGN_ZONE
        if phone is not None:
            zone, reason = _zone(cells, zone_index, phone, kind)
            if reason is not None:
                phone = None
        out.append(Checked(row_number, phone, raw[:64], params, reason, zone))
    return out


def _zone(cells: Sequence[str], index: int | None, phone: str, kind: int) -> tuple[int, str | None]:
    """The row's zone: its time-zone cell when filled (an unknown name makes the row invalid:
    guessing would send at night), else its number's."""
    given = cells[index].strip() if index is not None and index < len(cells) else ""
    if not given:
        return zone_of_number(phone, kind), None
    found = zone_id(given)
    if found is None:
        return CAMPAIGN_ZONE, f"unknown time zone {given[:64]!r} (an IANA name, e.g. Europe/Prague)"
    return found, None


def find_zone_column(header: Sequence[str]) -> int | None:
    names = [h.strip().lower() for h in header]
    return next((names.index(a) for a in ZONE_COLUMNS if a in names), None)


def find_phone_column(header: Sequence[str]) -> int | None:
    names = [h.strip().lower() for h in header]
    for alias in PHONE_COLUMNS:
        if alias in names:
            return names.index(alias)
    return None
