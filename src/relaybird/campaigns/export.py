"""Campaign results as CSV, streamed a page at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy.orm import Session

from relaybird.campaigns import repository
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
)


def lines(session: Session, campaign_id: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for i, row in enumerate(repository.export_rows(session, campaign_id), start=1):
        values = list(row)
        values[10] = rfc3339(values[10])
        values[11] = rfc3339(values[11])
        writer.writerow(["" if v is None else v for v in values])
        if i % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
