"""A campaign's analytics: rates, failures by error code, sends / deliveries / reads per hour
(JSON), and the per-hour series as CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from relaybird.api.deps import ReadSession, Viewer
from relaybird.campaigns import analytics
from relaybird.campaigns.schemas import AnalyticsOut

router = APIRouter(prefix="/campaigns", tags=["campaigns"])

TimeZone = Annotated[
    str | None,
    Query(
        max_length=64,
        description="An IANA time zone (e.g. Europe/Prague, Asia/Kolkata): the per-hour series "
        "is given in it too, each hour labelled with its offset (a day with a clock change has "
        "23 or 25 hours). Default: UTC only.",
    ),
]

RATES = (
    "Definitions (one place: campaigns/rates.py): **sent** = recipients Meta accepted (SENT, "
    "DELIVERED, READ, DELIVERY_FAILED; a 131026 reported after the accept makes the recipient "
    "SENDING_FAILED, a failure and no longer a send); **delivered** = DELIVERED or READ; "
    "**delivery_rate** = delivered / sent (DELIVERY_FAILED counts in the denominator only); "
    "**read_rate** = read / delivered; **reply_rate** = recipients who replied / delivered; "
    "**opt_out_rate** = opted_out / delivered, opted_out being the numbers sent this campaign "
    "that put themselves on the suppression list (keyword, Meta's marketing stop, 131050) at or "
    "after that send (one that opted in again no longer counts; one suppressed before the send "
    "was never sent: INVALID_RECORD or REMOVED `opted out`, in neither part of the rate); "
    "**failure_rate** = failed / recipients, failed being SENDING_FAILED, DELIVERY_FAILED, "
    "ERROR and INVALID_RECORD (REMOVED and CANCELED_BY_ADMIN are not failures). A rate with "
    "nothing to divide by is null."
)


@router.get(
    "/{campaign_id}/analytics",
    response_model=AnalyticsOut,
    summary="A campaign's analytics",
    description="Totals and rates, failed recipients by state and error code (with Meta's "
    "title), and sends / deliveries / reads per hour (each recipient counted once per "
    "milestone, in the hour relaybird recorded it: the send call's answer or the status "
    "webhook), in UTC and in `time_zone`. Read from counters kept with every recipient move: "
    "as fast at a million recipients as at a thousand. " + RATES,
)
def get_analytics(
    campaign_id: int,
    principal: Viewer,
    session: ReadSession,
    time_zone: TimeZone = None,
) -> AnalyticsOut:
    zone = analytics.zone_named(time_zone)
    return analytics.campaign_analytics(session, principal.workspace_id, campaign_id, zone=zone)


@router.get(
    "/{campaign_id}/analytics.csv",
    summary="The per-hour series as CSV",
    description="One line per hour from the first activity to the last (at most 744): `hour` "
    "(RFC 3339, in `time_zone`, default UTC), `sent`, `delivered`, `read`. Per-recipient "
    "timestamps (`sent_at`, `delivered_at`, `read_at`) and error codes are in "
    "`GET .../export.csv`.",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def analytics_csv(
    campaign_id: int,
    principal: Viewer,
    session: ReadSession,
    time_zone: TimeZone = None,
) -> Response:
    zone = analytics.zone_named(time_zone)
    out = analytics.campaign_analytics(session, principal.workspace_id, campaign_id, zone=zone)
    name = f"campaign-{campaign_id}-hourly.csv"
    return Response(
        analytics.hourly_csv(out),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
