"""Issue 14: a template Meta stops (the signed ``message_template_status_update`` through our
endpoint and the applier) pauses, in the same transaction as the template's move, every RUNNING
campaign of the workspace sending it from its business account — and no other."""

from __future__ import annotations

from sqlalchemy import select

from relaybird.inbox.handlers import ApplyContext
from relaybird.models import Campaign, Template, Transition
from relaybird.providers.whatsapp import events as ev
from relaybird.providers.whatsapp.parse import parse_body
from relaybird.templates import service as templates
from relaybird.wiring import registered_handlers
from tests.data import TEMPLATE_FIXTURES
from tests.factories import make_campaign, make_sender, make_workspace
from tests.fixtures.live_server import LiveServer
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
