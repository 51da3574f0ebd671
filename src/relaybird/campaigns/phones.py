"""Validating one chunk of uploaded rows: phone numbers to E.164 (kit/phones.py), template
parameters present, and (a campaign with a slot mapping) each row's values against the
template's slots.

Pure functions of their arguments (no database, no settings), so a chunk can be validated in a
worker process while the importer writes the previous one. A worker imports only this module
and what it needs (kit/phones.py; templates/values.py for a mapped campaign), never the app: it
starts in a fraction of the time, and it does all of a row's per-row work (the params' JSON
text included), so the importer's own thread only decides duplicates and opt-outs and stores.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relaybird.kit.phones import normalise_typed
from relaybird.kit.zones import CAMPAIGN_ZONE, zone_id, zone_of_number

if TYPE_CHECKING:
    from relaybird.templates.values import RowCheck

# The phone column's accepted names, compared case-insensitively (DESIGN.md §8).
PHONE_COLUMNS = ("phone", "guest phone number", "phone_number", "msisdn")
# An optional column giving the recipient's IANA time zone (send windows), overriding the one
# its number implies.
ZONE_COLUMNS = ("timezone", "time_zone")

_encode = json.JSONEncoder().encode


@dataclass
class Checked:
    """One chunk's rows validated, column by column: a handful of lists of strings, cheap to
    send back from a worker process (a tuple per row costs more to unpickle than to check)."""

    rows: list[int] = field(default_factory=list)
    phones: list[str | None] = field(default_factory=list)  # E.164 when valid
    raw_phones: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)  # JSON text, as recipients.params stores it
    # None: valid (duplicates and opt-outs are decided later, when stored)
    reasons: list[str | None] = field(default_factory=list)
    zone_ids: list[int] = field(default_factory=list)  # kit/zones.py: the row's, or its number's

    def add(
        self,
        row: int,
        phone: str | None,
        raw: str,
        params: str,
        reason: str | None,
        zone: int = CAMPAIGN_ZONE,
    ) -> None:
        self.rows.append(row)
        self.phones.append(phone)
        self.raw_phones.append(raw)
        self.params.append(params)
        self.reasons.append(reason)
        self.zone_ids.append(zone)

    def __len__(self) -> int:
        return len(self.rows)


def check_chunk(
    rows: Sequence[tuple[int, Sequence[str]]],
    phone_index: int,
    param_indexes: Sequence[int],
    param_names: Sequence[str],
    region: str,
    template: RowCheck | None = None,
    zone_index: int | None = None,
) -> Checked:
    """Each row's phone to E.164 and its parameters; then either every parameter must be
    non-empty or, with a ``template`` (a campaign with a slot mapping), each valid row's values
    are checked against the template's slots and Meta's limits: an empty or too long value
    makes the row invalid with the slot named in its reason. ``zone_index``: the column naming
    the row's time zone, if the file has one (else the number's zone)."""
    out = Checked()
    add = out.add
    for row_number, cells in rows:
        refused = getattr(cells, "reason", None)  # readers.RefusedRow: over an upload limit
        if refused is not None:
            add(row_number, None, "", "[]", refused)
            continue
        width = len(cells)
        raw = cells[phone_index].strip() if phone_index < width else ""
        params = tuple(cells[i].strip() if i < width else "" for i in param_indexes)
        reason: str | None = None
        phone: str | None = None
        kind = 0
        if not raw:
            reason = "empty phone"
        else:
            phone, kind = normalise_typed(raw, region)
            if phone is None:
                reason = f"not a valid number: {raw[:32]!r}"
        if reason is None:
            if template is not None:
                reason = template.reason(params)
            else:
                for name, value in zip(param_names, params, strict=True):
                    if not value:
                        reason = f"missing template parameter {name!r}"
                        break
            if reason is not None:
                phone = None
        zone = CAMPAIGN_ZONE
        if phone is not None:
            zone, reason = _zone(cells, zone_index, phone, kind)
            if reason is not None:
                phone = None
        add(row_number, phone, raw[:64], _encode(params), reason, zone)
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
