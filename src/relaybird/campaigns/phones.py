"""Validating one chunk of uploaded rows: phone numbers to E.164 (kit/phones.py), template
parameters present.

Pure functions of their arguments (no database, no settings), so a chunk can be validated in a
worker process while the importer writes the previous one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relaybird.kit.phones import normalise

# The phone column's accepted names, compared case-insensitively (DESIGN.md §8).
PHONE_COLUMNS = ("phone", "guest phone number", "phone_number", "msisdn")


@dataclass(frozen=True)
class Checked:
    row: int
    phone: str | None  # E.164 when valid
    raw_phone: str
    params: tuple[str, ...]
    reason: str | None  # None: valid (duplicates are decided later, across chunks)


def check_chunk(
    rows: Sequence[tuple[int, Sequence[str]]],
    phone_index: int,
    param_indexes: Sequence[int],
    param_names: Sequence[str],
    region: str,
) -> list[Checked]:
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
            phone = normalise(raw, region)
            if phone is None:
                reason = f"not a valid number: {raw[:32]!r}"
        if reason is None:
            for name, value in zip(param_names, params, strict=True):
                if not value:
                    reason = f"missing template parameter {name!r}"
                    phone = None
                    break
        out.append(Checked(row_number, phone, raw[:64], params, reason))
    return out


def find_phone_column(header: Sequence[str]) -> int | None:
    names = [h.strip().lower() for h in header]
    for alias in PHONE_COLUMNS:
        if alias in names:
            return names.index(alias)
    return None
