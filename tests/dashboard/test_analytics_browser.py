"""The campaign page's analytics in a real Chromium, after a live campaign against the simulator
(real statuses through our webhook door, two numbers not on WhatsApp, a STOP reply): the rates,
the per-hour chart and the failures table show the numbers the API computes."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from relaybird.campaigns.analytics import campaign_analytics
from relaybird.campaigns.schemas import AnalyticsOut
from relaybird.context import AppContext
from relaybird.dashboard import fmt
from relaybird.db import Database
from relaybird.kit.time import SystemClock
from relaybird.models import Campaign, Sender
from tests.conftest import make_settings
from tests.dashboard.helpers import PASSWORD, make_user
from tests.factories import new_sender
from tests.fixtures.live_server import LiveServer, start_live_server
from tests.fixtures.simulator import SimHandle

pytestmark = pytest.mark.browser
ROWS = 40
NOT_ON_WHATSAPP = ("+12125552003", "+12125552007")
STOPPER = "+12125552011"


@pytest.fixture
def app_ctx(sqlite_url: str, simulator: SimHandle) -> Iterator[AppContext]:
    settings = make_settings(sqlite_url, graph_api_url=simulator.url)
    ctx = AppContext(settings=settings, db=Database(sqlite_url), clock=SystemClock())
    yield ctx
    ctx.db.dispose()


@pytest.fixture
def server(app_ctx: AppContext) -> Iterator[LiveServer]:
    live = start_live_server(app_ctx, loops=True)
    yield live
    live.stop()


def _settled(ctx: AppContext, campaign_id: int, want: Any, timeout: float = 180.0) -> AnalyticsOut:
    """The analytics once ``want(out)`` holds and two reads a second apart agree."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        with ctx.db.read() as s:
            ws = s.get(Campaign, campaign_id).workspace_id  # type: ignore[union-attr]
            out = campaign_analytics(s, ws, campaign_id)
        if want(out) and last is not None and out == last:
            return out
        last = out
        time.sleep(1.0)
    raise AssertionError(f"analytics never settled: {last}")


def test_the_campaign_page_charts_a_live_campaign(
    app_ctx: AppContext, server: LiveServer, simulator: SimHandle, browser: Any, tmp_path: Any
) -> None:
    ctx = app_ctx
    sender_id = new_sender(ctx, name="Offers line", display_phone_number="+1 212 555 0100")
    with ctx.db.read() as s:
        sender = s.get(Sender, sender_id)
        assert sender is not None
        pnid = sender.phone_number_id
        simulator.add_number(pnid, sender.access_token)
    simulator.configure(webhook_url=server.whatsapp_webhook_url, delivered_p=0.85, read_p=0.5)
    simulator.not_on_whatsapp(*NOT_ON_WHATSAPP)
    make_user(ctx, "ana@example.com")
    csv = tmp_path / "list.csv"
    csv.write_text("phone\n" + "".join(f"+1212555{i:04d}\n" for i in range(2000, 2000 + ROWS)))

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []
    context.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page = context.new_page()
    page.goto(server.url + "/ui/login")
    page.fill("#email", "ana@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/campaigns$"))
    page.fill("#c-name", "Analytics run")
    page.select_option("#c-sender", str(sender_id))
    page.fill("#c-template", "spring_offer")
    page.set_input_files("#c-file", str(csv))
    page.check("#new-campaign input[name=start]")
    page.click("#new-campaign button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/campaigns/\d+\?flash=.*"))
    campaign_url = page.url.split("?")[0]
    campaign_id = int(campaign_url.rsplit("/", 1)[1])

    # Everything sent and the two 131026 in; then a STOP reply from one who got it.
    _settled(
        ctx,
        campaign_id,
        lambda o: (
            o.totals.sent + o.totals.failed == ROWS
            and sum(f.count for f in o.failures if f.error_code == 131026) == 2
        ),
    )
    simulator.inbound(pnid, STOPPER.lstrip("+"), "STOP")
    out = _settled(ctx, campaign_id, lambda o: o.totals.opted_out == 1 and o.totals.replied == 1)
    assert out.totals.delivered > 0 and out.totals.read > 0

    page.goto(campaign_url)
    box = page.locator("#analytics")
    expect(box).to_be_visible()
    assert page.locator("#rate-delivery").inner_text() == fmt.rate(out.rates.delivery_rate)
    assert page.locator("#rate-read").inner_text() == fmt.rate(out.rates.read_rate)
    assert page.locator("#rate-reply").inner_text() == fmt.rate(out.rates.reply_rate)
    assert page.locator("#rate-opt-out").inner_text() == fmt.rate(out.rates.opt_out_rate)
    assert page.locator("#rate-failure").inner_text() == fmt.rate(out.rates.failure_rate)
    chart = page.locator("#hourly-chart svg.hourly")
    expect(chart).to_be_visible()
    size = chart.bounding_box()
    assert size is not None and size["width"] > 300 and size["height"] > 80
    for name, total in (
        ("sent", out.totals.sent),
        ("delivered", out.totals.delivered),
        ("read", out.totals.read),
    ):
        line = chart.locator(f"polyline[data-series={name}]")
        assert line.get_attribute("data-total") == str(total)
    row = page.locator("#failures tr[data-code='131026']")
    assert "Message undeliverable" in row.inner_text()
    assert row.locator("td").nth(3).inner_text().strip() == "2"
    bars = page.locator("#analytics svg.bars text[data-rate=delivered]")
    assert bars.text_content() == fmt.rate(out.rates.delivery_rate)

    # Another zone: the same totals, hours labelled in it; a bad zone says so.
    page.fill("#a-zone", "Asia/Kolkata")
    page.click("#analytics-zone button[type=submit]")
    page.wait_for_url(re.compile(r".*time_zone=Asia%2FKolkata.*"))
    assert "Asia/Kolkata" in page.locator("#analytics h3").first.inner_text()
    zoned = page.locator("#hourly-chart polyline[data-series=sent]")
    assert zoned.get_attribute("data-total") == str(out.totals.sent)
    page.goto(campaign_url + "?time_zone=Mars%2FOlympus")
    assert "unknown time zone" in page.locator("#analytics .note").inner_text()
    csv_answer = page.request.get(campaign_url + "/analytics.csv")
    assert csv_answer.ok and csv_answer.text().startswith("hour,sent,delivered,read")
    export = page.request.get(campaign_url + "/export.csv")
    assert export.ok and "sent_at,delivered_at,read_at" in export.text().splitlines()[0]
    context.close()
    assert blocked == []
