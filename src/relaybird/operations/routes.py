"""GET /metrics: Prometheus text format, for the holder of RELAYBIRD_METRICS_TOKEN only."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST

from relaybird.api.deps import Ctx, ReadSession
from relaybird.errors import Forbidden, Unauthorized
from relaybird.operations import metrics, service

router = APIRouter(tags=["operations"])

_token = HTTPBearer(
    auto_error=False,
    scheme_name="MetricsToken",
    description="RELAYBIRD_METRICS_TOKEN: `Authorization: Bearer <token>` (not an API key).",
)


def scraper(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_token)]
) -> None:
    """The figures name every workspace's senders: only the metrics token may read them."""
    expected = ctx.settings.metrics_token.get_secret_value()
    if not expected:
        raise Forbidden("/metrics is off: set RELAYBIRD_METRICS_TOKEN and scrape with it")
    given = credentials.credentials if credentials is not None else ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("send RELAYBIRD_METRICS_TOKEN as `Authorization: Bearer <token>`")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Sends, recipient and campaign states, per-sender status, quality and messaging-"
    "limit usage, webhook inbox depth and lag, outgoing event deliveries, e-mails. Read from the "
    "database at scrape time (the same figures from every process). Across all workspaces, so "
    "not for API keys: scrape with `Authorization: Bearer <RELAYBIRD_METRICS_TOKEN>` (401 "
    "without it; 403 while the setting is unset).",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}},
        401: {"description": "Missing or wrong metrics token"},
        403: {"description": "RELAYBIRD_METRICS_TOKEN is not set"},
    },
    dependencies=[Depends(scraper)],
)
def prometheus_metrics(ctx: Ctx, session: ReadSession) -> Response:
    snap = service.snapshot(session, ctx.clock.now())
    return Response(metrics.render(snap), media_type=CONTENT_TYPE_LATEST)
