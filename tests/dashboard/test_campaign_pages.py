from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.auth.roles import Role
from relaybird.context import AppContext
from relaybird.models import Campaign, CampaignReply, Recipient
from relaybird.simulator.template_seed import SEED
from relaybird.templates import service as templates
from tests.dashboard.helpers import csrf_of, logged_in
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace
from tests.templates.helpers import catalogue_item


def _seed(ctx: AppContext, state: str = "RUNNING") -> tuple[int, list[int]]:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line")
        campaign = make_campaign(session, ws, sender, state=state, name="Spring sale")
        delivered = make_recipients(session, ws, campaign, 3, state="DELIVERED")
        waiting = make_recipients(session, ws, campaign, 60, state="INITIAL")
    return campaign, delivered + waiting


def _state(ctx: AppContext, campaign: int) -> str:
    with ctx.db.read() as session:
        return str(session.scalar(select(Campaign.state).where(Campaign.id == campaign)))


def test_list_and_detail_show_progress_counts_and_a_live_block(
    ctx: AppContext, client: TestClient
) -> None:
    campaign, _ = _seed(ctx)
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    listing = client.get("/ui/campaigns").text
    assert "Spring sale" in listing and "Main line" in listing
    assert "5%" in listing  # 3 of 63 final
    detail = client.get(f"/ui/campaigns/{campaign}").text
    assert 'id="kpi-sent">3<' in detail
    assert "<svg" in detail and 'data-state="DELIVERED">3<' in detail
    live = client.get(f"/ui/campaigns/{campaign}/live").text
    assert 'data-state="RUNNING"' in live and "<html" not in live


def test_recipients_filter_search_page_and_history(ctx: AppContext, client: TestClient) -> None:
    campaign, ids = _seed(ctx)
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    page = client.get(f"/ui/campaigns/{campaign}?state=DELIVERED").text
    assert len(re.findall(r"data-recipient=", page)) == 3
    first = client.get(f"/ui/campaigns/{campaign}?state=INITIAL").text
    assert len(re.findall(r"data-recipient=", first)) == 50
    nxt = re.search(r'href="\?state=INITIAL&phone=&after=([A-Za-z0-9_-]+)"', first)
    assert nxt
    second = client.get(f"/ui/campaigns/{campaign}?state=INITIAL&after={nxt.group(1)}").text
    assert len(re.findall(r"data-recipient=", second)) == 10
    # A phone search pages in number order, with its own cursor.
    by_number = client.get(f"/ui/campaigns/{campaign}", params={"phone": "1", "state": "SENT"})
    assert by_number.status_code == 200, by_number.text[-2000:]
    junk = client.get(f"/ui/campaigns/{campaign}", params={"after": "nonsense"})
    assert junk.status_code == 422
    with ctx.db.read() as session:
        phone = session.scalar(select(Recipient.phone).where(Recipient.id == ids[40]))
    assert phone
    found = client.get(f"/ui/campaigns/{campaign}", params={"phone": phone}).text
    assert re.findall(r'data-recipient="(\d+)"', found) == [str(ids[40])]
    bad = client.get(f"/ui/campaigns/{campaign}", params={"phone": "abc"})
    assert bad.status_code == 422 and "type some digits" in bad.text
    history = client.get(f"/ui/campaigns/{campaign}/recipients/{ids[0]}").text
    assert "History" in history and "imported" in history


def test_only_admins_act_and_every_form_needs_its_csrf_token(
    ctx: AppContext, client: TestClient
) -> None:
    campaign, ids = _seed(ctx)
    logged_in(client, ctx, "viewer@example.com", Role.VIEWER)
    page = client.get(f"/ui/campaigns/{campaign}").text
    assert ">Pause<" not in page
    refused = client.post(
        f"/ui/campaigns/{campaign}/pause", data={"csrf": csrf_of(page)}, follow_redirects=False
    )
    assert refused.status_code == 403 and "only admins" in refused.text
    assert _state(ctx, campaign) == "RUNNING"

    client.cookies.clear()
    logged_in(client, ctx, "admin@example.com", Role.ADMIN)
    page = client.get(f"/ui/campaigns/{campaign}").text
    assert ">Pause<" in page
    forged = client.post(f"/ui/campaigns/{campaign}/pause", data={"csrf": "nope"})
    assert forged.status_code == 403 and _state(ctx, campaign) == "RUNNING"
    paused = client.post(f"/ui/campaigns/{campaign}/pause", data={"csrf": csrf_of(page)})
    assert paused.status_code == 200 and "Campaign paused." in paused.text
    assert _state(ctx, campaign) == "PAUSED"
    assert "Paused: paused by an admin" in paused.text

    removed = client.post(
        f"/ui/campaigns/{campaign}/recipients/{ids[10]}/remove", data={"csrf": csrf_of(page)}
    )
    assert f"Recipient {ids[10]} removed." in removed.text
    with ctx.db.read() as session:
        assert session.scalar(select(Recipient.state).where(Recipient.id == ids[10])) == "REMOVED"
    again = client.post(f"/ui/campaigns/{campaign}/resume", data={"csrf": csrf_of(page)})
    assert "Campaign resumed." in again.text
    illegal = client.post(
        f"/ui/campaigns/{campaign}/recipients/{ids[11]}/remove", data={"csrf": csrf_of(page)}
    )
    assert "Error: recipients can be removed only" in illegal.text


def test_create_a_campaign_with_an_upload_from_the_form(
    ctx: AppContext, client: TestClient
) -> None:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line")
    logged_in(client, ctx, "admin@example.com")
    page = client.get("/ui/campaigns").text
    assert "New campaign" in page
    csv = b"phone,first_name\n+12125550001,Ann\n+12125550002,Bob\nnot a phone,Cy\n"
    response = client.post(
        "/ui/campaigns",
        data={
            "csrf": csrf_of(page),
            "name": "Autumn",
            "sender_id": str(sender),
            "template_name": "hello_world",
            "language": "en_US",
            "body_params": "first_name",
        },
        files={"file": ("list.csv", csv, "text/csv")},
    )
    assert response.status_code == 200
    flash = re.search(r'class="flash[^"]*" role="status">([^<]*)<', response.text)
    assert flash, response.text[:2000]
    assert "Campaign created. 2 recipients accepted, 1 invalid." in flash.group(1), flash.group(1)
    assert "Autumn" in response.text and ">Start<" in response.text
    missing = client.post(
        "/ui/campaigns",
        data={"csrf": csrf_of(page), "name": "X", "sender_id": "999", "template_name": "t"},
    )
    assert "Error: sender_id: no sender 999" in missing.text


def test_a_finished_campaign_offers_retry_of_its_failed_recipients(
    ctx: AppContext, client: TestClient
) -> None:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line")
        campaign = make_campaign(session, ws, sender, state="COMPLETED", name="Spring sale")
        make_recipients(session, ws, campaign, 2, state="ERROR")
    logged_in(client, ctx, "ana@example.com", Role.ADMIN)
    page = client.get(f"/ui/campaigns/{campaign}").text
    assert "Retry failed (2)" in page
    r = client.post(
        f"/ui/campaigns/{campaign}/retry", data={"csrf": csrf_of(page)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    child = int(re.search(r"/ui/campaigns/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    assert child != campaign
    follow_up = client.get(r.headers["location"]).text
    assert "Follow-up campaign created" in follow_up and f"campaign {campaign}</a>" in follow_up
    assert _state(ctx, child) == "NOT_STARTED"


def test_the_replies_tab_and_the_recipient_show_replies(
    ctx: AppContext, client: TestClient
) -> None:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line")
        campaign = make_campaign(session, ws, sender, state="COMPLETED", name="Spring sale")
        [rid] = make_recipients(session, ws, campaign, 1, state="DELIVERED")
        session.add(
            CampaignReply(
                workspace_id=ws,
                campaign_id=campaign,
                recipient_id=rid,
                wamid="wamid.in",
                type="button",
                text="Stop promotions",
                button="STOP_PROMOS",
                received_at=ctx.clock.now(),
            )
        )
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    assert 'id="replies-tab"' in client.get(f"/ui/campaigns/{campaign}").text
    tab = client.get(f"/ui/campaigns/{campaign}/replies").text
    assert "<td>STOP_PROMOS</td><td>Stop promotions</td><td>1</td><td>1</td>" in tab
    page = client.get(f"/ui/campaigns/{campaign}/recipients/{rid}").text
    assert 'id="replies"' in page and "Stop promotions" in page


def test_the_detail_shows_the_upload_summary_and_a_recipients_preview(
    ctx: AppContext, client: TestClient
) -> None:
    waba = "100000000000081"
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, waba_id=waba)
        items = [catalogue_item(dict(t)) for t in SEED]
        templates.apply_catalogue(session, ws, waba, items, actor="t", now=ctx.clock.now())
    logged_in(client, ctx, "ana@example.com", Role.ADMIN)
    page = client.get("/ui/campaigns").text
    # The catalogue's approved templates under the form, each with the slots to map.
    row = re.search(r'<tr data-template="\d+"><td>summer_promo .*?</tr>', page, re.DOTALL)
    assert row, page
    for slot in ("header.image", "body.1", "body.2", "buttons[0].url"):
        assert f"<code>{slot}</code>" in row.group(0)
    assert '<option value="summer_promo">' in page
    form = {
        "csrf": csrf_of(page),
        "name": "Summer",
        "sender_id": str(sender),
        "template_name": "summer_promo",
        "language": "en_US",
    }
    lines = [
        "header.image=link:https://cdn.example.com/s.jpg",
        "body.1=column:first_name",
        "body.2=value:25%",
    ]
    refused = client.post("/ui/campaigns", data={**form, "mapping": "\n".join(lines)})
    assert "Error: template.mapping.buttons[0].url: not mapped" in refused.text
    lines.append("buttons[0].url=column:coupon")
    text = b"phone,first_name,coupon\n+12125550001,Ana,ANA25\n+12125550002,,BOB25\n"
    created = client.post(
        "/ui/campaigns",
        data={**form, "mapping": "\n".join(lines)},
        files={"file": ("l.csv", text, "text/csv")},
    )
    assert "Campaign created. 1 recipients accepted, 1 invalid." in created.text
    with ctx.db.read() as session:
        campaign = session.scalars(select(Campaign.id).where(Campaign.name == "Summer")).one()
    page = client.get(f"/ui/campaigns/{campaign}").text
    assert "<b>1</b> accepted · <b>1</b> invalid" in page
    assert "row 3: body.1: empty value (column &#39;first_name&#39; is empty)" in page
    assert "[image: https://cdn.example.com/s.jpg]" in page and "ANA25" in page
    bad = client.get(f"/ui/campaigns/{campaign}?row=3").text
    assert "Cannot be sent: body.1: empty value" in bad
    assert "No recipient at row 9" in client.get(f"/ui/campaigns/{campaign}?row=9").text
    assert "No recipient at row" in client.get(f"/ui/campaigns/{campaign}?row={2**40}").text


def test_the_detail_before_any_upload(ctx: AppContext, client: TestClient) -> None:
    campaign, _ = _seed(ctx, state="NOT_STARTED")
    with ctx.db.write() as session:
        session.execute(Recipient.__table__.delete().where(Recipient.campaign_id == campaign))
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    empty = client.get(f"/ui/campaigns/{campaign}").text
    assert "Nothing uploaded yet." in empty and "Upload a list to preview" in empty


def test_a_campaign_waiting_for_its_send_window_says_so(
    ctx: AppContext, client: TestClient
) -> None:
    window = {"start": "09:00", "end": "17:00", "days": ["SUN"], "time_zone": "UTC"}
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line")
        campaign = make_campaign(
            session, ws, sender, state="RUNNING", name="Sunday", send_window=window, zone_ids=[0]
        )
        make_recipients(session, ws, campaign, 3, state="INITIAL")
    logged_in(client, ctx, "ana@example.com", Role.VIEWER)
    live = client.get(f"/ui/campaigns/{campaign}/live").text
    # Monday 2026-01-05 09:00 UTC: the next opening is Sunday the 11th.
    assert "Waiting: waiting for send window (opens" in live
    assert "Send window: 09:00–17:00 SUN, recipient&#39;s local time" in live
    assert "waiting for send window" in client.get("/ui/campaigns").text


def test_the_new_campaign_form_sets_a_send_window_or_says_what_is_wrong(
    ctx: AppContext, client: TestClient
) -> None:
    """The form's send window: both times and the checked days make the API's window (stored,
    shown on the detail page); a bad one is the API's reason, named, and creates nothing;
    empty times make no window."""
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, name="Main line")
    logged_in(client, ctx, "admin@example.com")
    page = client.get("/ui/campaigns").text
    assert 'name="window_start"' in page and page.count('name="window_days"') == 7
    form = {"csrf": csrf_of(page), "sender_id": str(sender), "template_name": "hello_world"}

    def stored(name: str) -> list[Campaign]:
        with ctx.db.read() as session:
            return list(session.scalars(select(Campaign).where(Campaign.name == name)))

    created = client.post(
        "/ui/campaigns",
        data={
            **form,
            "name": "Office hours",
            "window_start": "09:00",
            "window_end": "17:30",
            "window_days": ["MON", "TUE", "WED", "THU", "FRI"],
            "window_time_zone": "Europe/Prague",
        },
    )
    assert "Campaign created." in created.text, created.text[:2000]
    [campaign] = stored("Office hours")
    assert campaign.send_window == {
        "start": "09:00",
        "end": "17:30",
        "days": ["MON", "TUE", "WED", "THU", "FRI"],
        "time_zone": "Europe/Prague",
        "overnight": False,
    }
    assert "09:00" in created.text and "17:30" in created.text  # the detail page shows it
    bad = client.post(
        "/ui/campaigns",
        data={**form, "name": "Backwards", "window_start": "18:00", "window_end": "08:00"},
    )
    assert "Error: send window:" in bad.text and "overnight" in bad.text, bad.text[:2000]
    assert stored("Backwards") == []
    overnight = client.post(
        "/ui/campaigns",
        data={
            **form,
            "name": "Night",
            "window_start": "20:00",
            "window_end": "08:00",
            "window_days": ["SAT"],
            "window_overnight": "1",
        },
    )
    assert "Campaign created." in overnight.text
    [night] = stored("Night")
    assert night.send_window is not None and night.send_window["overnight"] is True
    assert night.send_window["time_zone"] == "UTC" and night.send_window["days"] == ["SAT"]
    client.post("/ui/campaigns", data={**form, "name": "Any time"})
    [any_time] = stored("Any time")
    assert any_time.send_window is None
