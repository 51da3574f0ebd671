"""The campaign rates, defined once (the analytics endpoint, the campaign's ``reply_rate``, the
CLI and the dashboard all read them here). Pure: counts in, fractions out.

- **sent**: recipients Meta accepted (SENT_OR_LATER: SENT, DELIVERED, READ, DELIVERY_FAILED).
  A 131026 that came back as a ``failed`` webhook after Meta had accepted the send turns the
  recipient SENDING_FAILED: a failure, no longer a send.
- **delivered**: DELIVERED or READ (a read without a ``delivered`` webhook was delivered).
- **delivery rate** = delivered / sent. DELIVERY_FAILED is in the denominator (Meta took it and
  could not deliver it), never in the numerator.
- **read rate** = read / delivered; **reply rate** = recipients who replied / delivered;
  **opt-out rate** = recipients who opted out after this campaign's send / delivered
  (campaigns/activity.opted_out says who counts).
- **failure rate** = failed / recipients, "failed" being FAILED_STATES (SENDING_FAILED,
  DELIVERY_FAILED, ERROR, INVALID_RECORD), the one definition every view uses. REMOVED (opted
  out before the send, or removed by an admin) and CANCELED_BY_ADMIN are not failures.

A rate with nothing to divide by is None ("no rate yet"), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from relaybird.campaigns.transitions import (
    DELIVERED_OR_LATER,
    FAILED_STATES,
    READ_STATES,
    SENT_OR_LATER,
)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class Totals:
    recipients: int
    sent: int
    delivered: int
    read: int
    replied: int
    opted_out: int
    failed: int

    @classmethod
    def of(cls, counts: Mapping[str, int], *, replied: int, opted_out: int = 0) -> Totals:
        def among(states: frozenset[str] | tuple[str, ...]) -> int:
            return sum(counts.get(str(s), 0) for s in states)

        return cls(
            recipients=sum(counts.values()),
            sent=among(SENT_OR_LATER),
            delivered=among(DELIVERED_OR_LATER),
            read=among(READ_STATES),
            replied=replied,
            opted_out=opted_out,
            failed=among(FAILED_STATES),
        )

    @property
    def delivery_rate(self) -> float | None:
        return rate(self.delivered, self.sent)

    @property
    def read_rate(self) -> float | None:
        return rate(self.read, self.delivered)

    @property
    def reply_rate(self) -> float | None:
        return rate(self.replied, self.delivered)

    @property
    def opt_out_rate(self) -> float | None:
        return rate(self.opted_out, self.delivered)

    @property
    def failure_rate(self) -> float | None:
        return rate(self.failed, self.recipients)
