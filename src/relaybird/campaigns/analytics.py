"""A campaign's analytics: the totals and rates (campaigns/rates.py defines them), failures by
error code, and sends / deliveries / reads per hour, in UTC and in a time zone (the caller's
choice, else the campaign's send-window zone). Everything comes from counters kept with each
recipient move (campaign_counts, campaign_activity) plus two small set-based reads (the failed
rows by code through a partial index, the opt-outs since the start), so the answer at a million
recipients costs about what it costs at a thousand (bench/analytics.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from relaybird.campaigns import activity, service
from relaybird.campaigns.rates import Totals
from relaybird.campaigns.schemas import (
    AnalyticsOut,
    AnalyticsRates,
    AnalyticsTotals,
    FailureRow,
    HourOut,
    SeriesOut,
)
from relaybird.campaigns.transitions import RecipientState
from relaybird.campaigns.windows import Window
from relaybird.errors import InvalidInput
from relaybird.models import Campaign
from relaybird.providers.whatsapp.errors import describe

HOUR = timedelta(hours=1)
MAX_HOURS = 744  # 31 days of hours in one answer
MAX_FAILURE_ROWS = 100
# What a failed row without an error code means.
UNCODED = {
    RecipientState.SENDING_FAILED.value: "not sent, no error code",
    RecipientState.DELIVERY_FAILED.value: "Meta could not deliver it (no error code)",
    RecipientState.ERROR.value: "no provider code: outcome unknown, a network error or a row "
    "that cannot become a message",
    RecipientState.INVALID_RECORD.value: "invalid row (each row's reason is in the export)",
}


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name`` (None: none asked); an unknown name is a 422."""
    if name is None or not name.strip():
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown time zone {name.strip()[:64]!r}: give an IANA name such as Europe/Prague",
            errors=[{"field": "time_zone", "msg": "unknown time zone"}],
        ) from exc


@dataclass(frozen=True)
class Hour:
    start: datetime  # aware, in the series' zone
    sent: int
    delivered: int
    read: int


@dataclass(frozen=True)
class Series:
    zone: str
    hours: list[Hour]
    truncated: bool


def hourly(
    buckets: Sequence[tuple[datetime, int, int, int]], zone: tzinfo, *, max_hours: int = MAX_HOURS
) -> Series:
    """Fold quarter-hour buckets (UTC, oldest first) into the hours of ``zone``, every hour from
    the first to the last, zeros included. The hours are consecutive UTC hours starting where
    ``zone``'s hour starts (15 or 30 minutes past in India or Nepal), so a day with a clock
    change has 23 or 25 of them, each labelled with its own offset."""
    name = str(zone)
    if not buckets:
        return Series(name, [], False)
    first = buckets[0][0].astimezone(zone)
    origin = first.replace(minute=0).astimezone(UTC)
    if origin > buckets[0][0]:  # a zone whose hour starts later than UTC's in this bucket
        origin -= HOUR
    last_index = int((buckets[-1][0] - origin) // HOUR)
    n = min(last_index + 1, max_hours)
    sums = [[0, 0, 0] for _ in range(n)]
    for at, sent, delivered, read in buckets:
        i = int((at - origin) // HOUR)
        if i >= n:
            break
        sums[i][0] += sent
        sums[i][1] += delivered
        sums[i][2] += read
    hours = [
        Hour((origin + i * HOUR).astimezone(zone), s, d, r) for i, (s, d, r) in enumerate(sums)
    ]
    return Series(name, hours, last_index + 1 > max_hours)


def campaign_zone(campaign: Campaign) -> ZoneInfo | None:
    """The zone of the campaign's send window (campaigns/windows.py), if it has one."""
    if not campaign.send_window:
        return None
    try:
        return ZoneInfo(Window.of(campaign.send_window).time_zone)
    except (ZoneInfoNotFoundError, ValueError, KeyError):
        return None  # a stored window this system cannot read: UTC only


def failure_rows(session: Session, campaign_id: int) -> list[FailureRow]:
    out = []
    for state, code, title, n in activity.failures(session, campaign_id, limit=MAX_FAILURE_ROWS):
        shown = UNCODED.get(state, title) if code is None else title or describe(code)
        out.append(FailureRow(state=RecipientState(state), error_code=code, title=shown, count=n))
    return out


def campaign_analytics(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    *,
    zone: ZoneInfo | None = None,
    summary: service.Summary | None = None,
) -> AnalyticsOut:
    """``zone``: the series in it besides UTC; default: the campaign's send-window zone.
    ``summary``: the campaign's, when the caller has read it in this transaction already."""
    if summary is None or summary.campaign.id != campaign_id:
        summary = service.summary(session, workspace_id, campaign_id)
    campaign = summary.campaign
    zone = zone or campaign_zone(campaign)
    totals = Totals.of(
        summary.counts,
        replied=campaign.reply_count,
        opted_out=activity.opted_out(session, workspace_id, campaign_id, campaign.started_at),
    )
    buckets = activity.buckets(session, campaign_id)
    zones: list[tzinfo] = [UTC] if zone is None or str(zone) == "UTC" else [UTC, zone]
    return AnalyticsOut(
        campaign_id=campaign.id,
        state=campaign.state,
        # Totals holds the counts and, as properties, the rates defined once in rates.py.
        totals=AnalyticsTotals.model_validate(totals, from_attributes=True),
        rates=AnalyticsRates.model_validate(totals, from_attributes=True),
        failures=failure_rows(session, campaign_id),
        series=[_series_out(hourly(buckets, z)) for z in zones],
    )


def _series_out(series: Series) -> SeriesOut:
    return SeriesOut(
        time_zone=series.zone,
        hours=[
            HourOut(hour=h.start, sent=h.sent, delivered=h.delivered, read=h.read)
            for h in series.hours
        ],
        truncated=series.truncated,
    )


def hourly_csv(out: AnalyticsOut) -> str:
    """The last series of ``out`` (the zone asked for, else UTC) as CSV: hour, sent, delivered,
    read; each hour in RFC 3339 with its offset."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("hour", "sent", "delivered", "read"))
    for h in out.series[-1].hours:
        writer.writerow((h.hour.isoformat().replace("+00:00", "Z"), h.sent, h.delivered, h.read))
    return buffer.getvalue()
