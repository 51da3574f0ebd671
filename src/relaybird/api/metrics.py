"""GET /metrics: Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from relaybird.api.deps import Ctx, ReadSession
from relaybird.operations import metrics, service

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Sends, recipient and campaign states, per-sender status, quality and messaging-"
    "limit usage, webhook inbox depth and lag, outgoing event deliveries, e-mails. Read from the "
    "database at scrape time (the same figures from every process). No API key: expose it only "
    "to your monitoring network.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def prometheus_metrics(ctx: Ctx, session: ReadSession) -> Response:
    snap = service.snapshot(session, ctx.clock.now())
    return Response(metrics.render(snap), media_type=CONTENT_TYPE_LATEST)
