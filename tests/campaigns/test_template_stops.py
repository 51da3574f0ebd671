"""Issue 14: a template Meta stops (the signed ``message_template_status_update`` through our
endpoint and the applier) pauses, in the same transaction as the template's move, every RUNNING
campaign of the workspace sending it from its business account — and no other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaybird.campaigns import service as campaign_service
from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.dispatcher.outcomes import SendPolicy
from relaybird.dispatcher.record import record
from relaybird.dispatcher.retry import RetryPolicy
from relaybird.dispatcher.stops import Stops, Unwritten
from relaybird.inbox.handlers import ApplyContext
from relaybird.models import Campaign, Template, Transition
from relaybird.providers.whatsapp import events as ev
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.providers.whatsapp.parse import parse_body
from relaybird.templates import service as templates
from relaybird.wiring import registered_handlers
from tests.data import TEMPLATE_FIXTURES
from tests.factories import KeyMaker, make_campaign, make_sender, make_workspace, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import problem, wait_for
from tests.templates.helpers import catalogue_item
from tests.templates.test_webhooks import _post

WABA, META_ID, NAME = "100000000000001", "900000000000014", "limited_time_offer_tuscan_getaway_2023"
PAUSED = "template-status-paused-second-pause--acl-adapted.json"


def test_a_paused_template_pauses_its_running_campaigns(live_server: LiveServer) -> None:
    ctx = live_server.ctx
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, waba_id=WABA)
        elsewhere = make_sender(session, ws, waba_id="100000000000002")
        item = {"name": NAME, "language": "en_US", "components": [{"type": "BODY", "text": "x"}]}
        other = {"name": "other", "language": "en_US", "components": []}
        templates.apply_catalogue(
            session,
            ws,
            WABA,
            [catalogue_item(item, id=META_ID), catalogue_item(other)],
            actor="sync",
            now=ctx.clock.now(),
        )
        on_it = dict(template_name=NAME, template_language="en_US")
        running = make_campaign(session, ws, sender, state="RUNNING", **on_it)
        hyphen = make_campaign(
            session, ws, sender, state="RUNNING", template_name=NAME, template_language="en-US"
        )
        untouched = [
            make_campaign(session, ws, sender, state="NOT_STARTED", **on_it),
            make_campaign(session, ws, sender, state="RUNNING", template_name="other"),
            make_campaign(session, ws, elsewhere, state="RUNNING", **on_it),
        ]
    _post(live_server, PAUSED)
    with ctx.db.read() as session:
        template = session.scalars(select(Template).where(Template.meta_id == META_ID)).one()
        assert template.status == "PAUSED"
        for cid in (running, hyphen):
            campaign = session.get(Campaign, cid)
            assert campaign is not None
            assert (campaign.state, campaign.paused_by) == ("PAUSED", "engine")
            assert campaign.pause_reason is not None
            assert campaign.pause_reason.startswith(
                f"template '{NAME}' (en_US) is PAUSED: SECOND_PAUSE — "
            )
            assert "6 hours" in campaign.pause_reason
            [move] = session.scalars(
                select(Transition).where(
                    Transition.entity == "campaign", Transition.entity_id == cid
                )
            )
            assert (move.event, move.actor, move.reason) == (
                "auto_pause",
                "template-webhook",
                campaign.pause_reason,
            )
        states = [session.get(Campaign, cid).state for cid in untouched]  # type: ignore[union-attr]
        assert states == ["NOT_STARTED", "RUNNING", "RUNNING"]
    # A replay (the inbox dedupes Meta's duplicates; replay re-applies) changes nothing more.
    events = parse_body((TEMPLATE_FIXTURES / PAUSED).read_bytes())
    with ctx.db.write() as session:
        registry = registered_handlers()
        for handler in registry.for_type(ev.TemplateStatusUpdate):
            handler(session, events, ApplyContext(now=ctx.clock.now(), settings=ctx.settings))
    with ctx.db.read() as session:
        moves = session.scalars(
            select(Transition).where(
                Transition.entity == "campaign", Transition.event == "auto_pause"
            )
        ).all()
        assert len(moves) == 2


def test_live_a_template_paused_mid_campaign_stops_it_before_the_next_send(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    """Over HTTP: a campaign sends order_confirmation at 1 message/s through the simulator
    (strict catalogue); the simulator pauses the template and sends Meta's signed webhook; our
    applier pauses the campaign with the template's reason, and no send of the template reaches
    the simulator after that: none refused with 132015, the request count does not move."""
    waba, pnid, token = "100000000000555", "5551", "tok-5551"
    simulator.add_number(pnid, token, waba_id=waba)
    simulator.configure(template_catalogue="strict")
    ctx.catalogue = WhatsAppCloudClient(simulator.url, "v23.0")
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    server = live_server_factory(loops=True)
    simulator.configure(webhook_url=server.whatsapp_webhook_url)
    api = ApiClient(server.url, keys.create())
    sender = new_sender(
        ctx, phone_number_id=pnid, access_token=token, waba_id=waba, throughput_cap=1
    )
    api.post(f"/api/v1/senders/{sender}/templates/sync")
    body = {
        "name": "orders",
        "sender_id": sender,
        "template": {
            "name": "order_confirmation",
            "language": "en_US",
            "body_params": ["name", "order"],
        },
    }
    cid = api.post("/api/v1/campaigns", body)["id"]
    rows = ["phone,name,order"] + [f"+1212555{i:04d},Ana,A-{i}" for i in range(40)]
    summary = api.upload(f"/api/v1/campaigns/{cid}/recipients", "a.csv", "\n".join(rows).encode())
    assert summary["accepted"] == 40
    api.post(f"/api/v1/campaigns/{cid}/start")

    def sends() -> list[dict[str, Any]]:
        return [r for r in simulator.requests() if r.get("template") == "order_confirmation"]

    # Mid-campaign, just after a send (the next one is a second away at 1/s): Meta pauses it.
    wait_for(lambda: len(sends()) >= 2)
    tid = simulator.template(waba, "order_confirmation", "en_US")["id"]
    simulator.template_status(tid, "PAUSED")
    paused = wait_for(lambda: (c := api.get(f"/api/v1/campaigns/{cid}"))["state"] == "PAUSED" and c)
    seen = len(sends())
    assert paused["paused_by"] == "engine"
    # On a slow machine one send may already be on its way when the webhook is applied: Meta
    # refuses it (132015), the engine pauses for that, and the recipient goes back untouched.
    # Either way no recipient is spent and nothing more is sent.
    refused = [r for r in sends() if not r["accepted"]]
    assert len(refused) <= 1, refused
    if not refused:
        assert paused["pause_reason"].startswith(
            "template 'order_confirmation' (en_US) is PAUSED: FIRST_PAUSE — "
        )
    # Everything the dispatcher had claimed goes back untouched (nothing left IN_PROGRESS)...
    wait_for(lambda: api.get(f"/api/v1/campaigns/{cid}")["counts"]["IN_PROGRESS"] == 0)
    after = api.get(f"/api/v1/campaigns/{cid}")
    # ... and no send of the paused template reached the simulator after the pause.
    assert len(sends()) == seen
    assert after["counts"]["INITIAL"] == 40 - (seen - len(refused))

    # Resuming onto the paused template is refused, and changes nothing (once Meta's webhook is
    # applied: a send refused with 132015 may have paused the campaign before it).
    def template_paused() -> bool:
        with ctx.db.read() as session:
            statuses = session.scalars(
                select(Template.status).where(
                    Template.name == "order_confirmation", Template.language == "en_US"
                )
            ).all()
        return bool(statuses) and all(s == "PAUSED" for s in statuses)

    wait_for(template_paused)
    status, problem_body = problem(lambda: api.post(f"/api/v1/campaigns/{cid}/resume"))
    assert status == 422 and "is PAUSED, not sendable" in problem_body["detail"]
    assert api.get(f"/api/v1/campaigns/{cid}")["state"] == "PAUSED"
    assert len(sends()) == seen


def _one_template(session: Session, ctx: AppContext) -> tuple[int, int, int, dict[str, Any]]:
    """A workspace and sender whose catalogue holds NAME; the campaign fields that send it."""
    ws = make_workspace(session)
    sender = make_sender(session, ws, waba_id=WABA)
    item = {"name": NAME, "language": "en_US", "components": [{"type": "BODY", "text": "x"}]}
    templates.apply_catalogue(
        session, ws, WABA, [catalogue_item(item, id=META_ID)], actor="s", now=ctx.clock.now()
    )
    tid = session.scalars(select(Template.id).where(Template.meta_id == META_ID)).one()
    return ws, sender, tid, dict(template_name=NAME, template_language="en_US", template_id=tid)


def test_the_quality_guard_acts_on_red_and_on_yellow_only_when_asked(ctx: AppContext) -> None:
    """A quality webhook: RED pauses the RUNNING campaigns on the template that opted into the
    guard; YELLOW only those that also asked for YELLOW; the others run on. An un-pause later
    resumes only auto_resume campaigns, and none while the guard still refuses the quality."""
    with ctx.db.write() as session:
        ws, sender, tid, on_it = _one_template(session, ctx)
        ids = {
            "unguarded": make_campaign(session, ws, sender, state="RUNNING", **on_it),
            "red": make_campaign(session, ws, sender, state="RUNNING", quality_guard=True, **on_it),
            "yellow": make_campaign(
                session,
                ws,
                sender,
                state="RUNNING",
                quality_guard=True,
                quality_guard_yellow=True,
                auto_resume=True,
                **on_it,
            ),
        }

    def quality(score: str) -> None:
        event = ev.TemplateQualityUpdate(
            waba_id=WABA,
            template_id=META_ID,
            template_name=NAME,
            language="en_US",
            previous_quality=None,
            new_quality=score,
        )
        with ctx.db.write() as session:
            for handler in registered_handlers().for_type(ev.TemplateQualityUpdate):
                handler(session, [event], ApplyContext(now=ctx.clock.now(), settings=ctx.settings))

    def states() -> dict[str, str]:
        with ctx.db.read() as session:
            return {k: session.get(Campaign, v).state for k, v in ids.items()}  # type: ignore[union-attr]

    quality("YELLOW")
    assert states() == {"unguarded": "RUNNING", "red": "RUNNING", "yellow": "PAUSED"}
    quality("RED")
    assert states() == {"unguarded": "RUNNING", "red": "PAUSED", "yellow": "PAUSED"}
    with ctx.db.read() as session:
        red = session.get(Campaign, ids["red"])
        assert red is not None and red.paused_by == "engine" and red.paused_template_id == tid
        assert red.pause_reason == f"quality guard: template '{NAME}' (en_US) quality is RED"
    # Meta re-approves it while it is still RED: the guard still refuses, nothing resumes.
    with ctx.db.write() as session:
        template = session.get(Template, tid)
        assert template is not None
        assert campaign_service.resume_for_template(session, template, at=ctx.clock.now()) == []
    # Back to GREEN: the auto_resume one runs again by itself, the other waits for a user.
    quality("GREEN")
    assert states() == {"unguarded": "RUNNING", "red": "PAUSED", "yellow": "RUNNING"}


def _write_stops(ctx: AppContext, stops: Stops) -> None:
    """What the runner's recorder does with the stops it saw: one record transaction."""
    unwritten = stops.unwritten()
    with ctx.db.write() as session:
        record(
            session,
            [],
            now=ctx.clock.now(),
            policy=SendPolicy(RetryPolicy(3, timedelta(seconds=2))),
            stops=unwritten,
        )
    stops.written(unwritten)
    assert stops.unwritten() == Unwritten()


def test_a_send_refused_for_the_templates_state_pauses_so_that_meta_unpausing_resumes(
    ctx: AppContext,
) -> None:
    """The race a loaded machine shows: the dispatcher's send is refused with 132015 before
    Meta's PAUSED webhook is applied, so the dispatcher pauses the campaign, not the webhook.
    That pause names the template, and Meta making it sendable again resumes the campaign
    (auto_resume), as a webhook's pause would. A 132000 (our payload, not Meta's state of the
    template) pauses without naming it: only a user resumes that one."""
    with ctx.db.write() as session:
        ws, sender, tid, on_it = _one_template(session, ctx)
        by_state = make_campaign(session, ws, sender, state="RUNNING", auto_resume=True, **on_it)
        by_payload = make_campaign(session, ws, sender, state="RUNNING", auto_resume=True, **on_it)
    stops = Stops()
    assert stops.campaign_stopped(by_state, "template error 132015: paused", 1.0, on_template=True)
    assert stops.campaign_stopped(by_payload, "template error 132000: count", 1.0)
    assert stops.unwritten().on_template == frozenset({by_state})
    _write_stops(ctx, stops)
    with ctx.db.read() as session:
        paused = {cid: session.get(Campaign, cid) for cid in (by_state, by_payload)}
        assert [(c.state, c.paused_by) for c in paused.values()] == [("PAUSED", "engine")] * 2  # type: ignore[union-attr]
        assert paused[by_state].paused_template_id == tid  # type: ignore[union-attr]
        assert paused[by_payload].paused_template_id is None  # type: ignore[union-attr]
    # Meta's PAUSED then APPROVED webhooks arrive: the template's own pause finds nothing RUNNING,
    # the un-pause resumes the campaign the dispatcher paused for it, and only that one.
    with ctx.db.write() as session:
        template = session.get(Template, tid)
        assert template is not None and templates.is_sendable(template)
        assert campaign_service.resume_for_template(session, template, at=ctx.clock.now()) == [
            by_state
        ]
    with ctx.db.read() as session:
        assert session.get(Campaign, by_state).state == "RUNNING"  # type: ignore[union-attr]
        assert session.get(Campaign, by_payload).state == "PAUSED"  # type: ignore[union-attr]


def test_a_stop_older_than_the_campaigns_last_move_pauses_nothing(ctx: AppContext) -> None:
    """The race CI found: a send claimed before Meta paused the template is refused (132015);
    before the dispatcher writes that stop, Meta's PAUSED and APPROVED webhooks are applied (the
    campaign paused, then resumed by auto_resume). The dispatcher's stop is older than the
    campaign's state and must not pause it again (no webhook would ever resume it). A stop
    reported by a send claimed after those moves still pauses."""
    with ctx.db.write() as session:
        ws, sender, tid, on_it = _one_template(session, ctx)
        cid = make_campaign(session, ws, sender, state="RUNNING", auto_resume=True, **on_it)

    def last_seq() -> int:  # what the claim reads (Claim.seq)
        with ctx.db.read() as session:
            return session.scalar(select(func.max(Transition.id))) or 0

    def state() -> str:
        with ctx.db.read() as session:
            return session.get(Campaign, cid).state  # type: ignore[union-attr]

    stops = Stops()
    claimed_before = last_seq()
    assert stops.campaign_stopped(
        cid, "template error 132015: paused", 1.0, on_template=True, seq=claimed_before
    )
    with ctx.db.write() as session:  # the webhooks: PAUSED, then APPROVED (auto_resume)
        now = ctx.clock.now()
        campaign_service.auto_pause(
            session, cid, "paused", at=now, actor="template-webhook", template_id=tid
        )
        template = session.get(Template, tid)
        assert template is not None
        assert campaign_service.resume_for_template(session, template, at=now) == [cid]
    _write_stops(ctx, stops)
    assert state() == "RUNNING"
    # Two sends stopped: the newest evidence counts (claimed after the moves) and pauses.
    assert stops.campaign_stopped(
        cid, "template error 132015: a", 2.0, on_template=True, seq=claimed_before
    )
    assert not stops.campaign_stopped(
        cid, "template error 132015: b", 3.0, on_template=True, seq=last_seq()
    )
    assert stops.unwritten().since == {cid: last_seq()}
    _write_stops(ctx, stops)
    assert state() == "PAUSED"
    with ctx.db.read() as session:
        assert session.get(Campaign, cid).paused_template_id == tid  # type: ignore[union-attr]
