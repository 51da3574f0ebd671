"""`relaybird campaign analytics ID`: a campaign's rates, failures by error code and its
sends / deliveries / reads per hour (tables, or the API's JSON with --json)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Group

from relaybird.auth import service as auth
from relaybird.campaigns import analytics as campaign_analytics
from relaybird.campaigns.schemas import AnalyticsOut
from relaybird.cli.common import JsonOpt, WorkspaceOpt, friendly, opened, show, table

IdArg = Annotated[int, typer.Argument(help="The campaign's id (`relaybird campaign list`).")]
ZoneOpt = Annotated[
    str | None,
    typer.Option(
        "--time-zone",
        help="Show the hours in this IANA zone (e.g. Europe/Prague, Asia/Kolkata); default UTC.",
    ),
]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _render(out: AnalyticsOut) -> Group:
    t, r = out.totals, out.rates
    summary = table(
        ("", "recipients", "rate", "of"),
        [
            ("recipients", f"{t.recipients:,}", "", ""),
            ("sent", f"{t.sent:,}", "", "accepted by Meta"),
            ("delivered", f"{t.delivered:,}", _pct(r.delivery_rate), "of sent"),
            ("read", f"{t.read:,}", _pct(r.read_rate), "of delivered"),
            ("replied", f"{t.replied:,}", _pct(r.reply_rate), "of delivered"),
            ("opted out", f"{t.opted_out:,}", _pct(r.opt_out_rate), "of delivered"),
            ("failed", f"{t.failed:,}", _pct(r.failure_rate), "of recipients"),
        ],
        title=f"campaign {out.campaign_id} · {out.state.value}",
    )
    failures = table(
        ("state", "code", "title", "recipients"),
        [(f.state.value, f.error_code or "", f.title or "", f"{f.count:,}") for f in out.failures],
        title="failures by error code",
    )
    series = out.series[-1]
    active = [h for h in series.hours if h.sent or h.delivered or h.read]
    hours = table(
        ("hour", "sent", "delivered", "read"),
        [
            (h.hour.strftime("%Y-%m-%d %H:%M %z"), f"{h.sent:,}", f"{h.delivered:,}", f"{h.read:,}")
            for h in active
        ],
        title=f"per hour ({series.time_zone}; hours with nothing left out"
        + ("; the first 744 hours only" if series.truncated else "")
        + ")",
    )
    return Group(summary, failures, hours)


@friendly
def analytics(
    campaign_id: IdArg,
    time_zone: ZoneOpt = None,
    workspace: WorkspaceOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Delivery, read, reply, opt-out and failure rates, failures by error code, and sends /
    deliveries / reads per hour (definitions: the API's GET /api/v1/campaigns/ID/analytics)."""
    zone = campaign_analytics.zone_named(time_zone)
    with opened() as ctx, ctx.db.read() as session:
        ws = auth.find_workspace(session, workspace).id
        out = campaign_analytics.campaign_analytics(session, ws, campaign_id, zone=zone)
    show(out, json_out, lambda: _render(out))
