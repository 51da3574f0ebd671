"""Campaign results as CSV, streamed a page at a time, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy.orm import Session

from relaybird.campaigns import repository
from relaybird.campaigns.costs import MICROS
from relaybird.kit.time import rfc3339

COLUMNS = (
    "recipient_id",
    "row",
    "phone",
    "raw_phone",
    "state",
    "attempts",
    "wamid",
    "error_code",
    "error_title",
    "invalid_reason",
    "replied_at",
    "updated_at",
    "cost",  # by the rate card, from the status webhooks' pricing (its currency)
    "pricing_category",
    # When it first reached sent-or-later (Meta accepted it), delivered-or-later, READ: the
    # timestamps the analytics' per-hour series counts (campaigns/activity.py), UTC.
    "sent_at",
    "delivered_at",
    "read_at",
)
_TIMES = {
    COLUMNS.index(c) for c in ("replied_at", "updated_at", "sent_at", "delivered_at", "read_at")
}
_COST = COLUMNS.index("cost")


# OWASP "CSV injection": a cell a spreadsheet would read as a formula (=cmd|' /C calc'!A0,
# +HYPERLINK(...), -2+3, @SUM(...), or after a leading tab or carriage return) is prefixed with
# a single quote, which spreadsheets show as text. A plain number (E.164 phones, signed digits
# with spaces, dots, dashes and parentheses) runs nothing and is left as it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 ().-]*")


def cell(value: object) -> object:
    """A value safe to write in a CSV cell (see above); non-strings unchanged."""
    formula = isinstance(value, str) and value.startswith(_FORMULA_START)
    if formula and not _PLAIN_NUMBER.fullmatch(str(value)):
        return "'" + str(value)
    return value


def lines(session: Session, campaign_id: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for i, row in enumerate(repository.export_rows(session, campaign_id), start=1):
        values = list(row)
        for column in _TIMES:
            values[column] = rfc3339(values[column])
        if values[_COST] is not None:
            values[_COST] = Decimal(values[_COST]) / MICROS
        writer.writerow(["" if v is None else cell(v) for v in values])
        if i % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
