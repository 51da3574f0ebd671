"""Every template webhook fixture (tests/data/whatsapp-webhooks and whatsapp-templates) through
the signed HTTP endpoint and the applier: each parses into the right template event and moves
the catalogue's template, with history rows and outbox events (what outgoing webhooks carry)."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.inbox import applier
from relaybird.models import OutboxEvent, Template, Transition
from relaybird.providers.whatsapp import events as ev
from relaybird.providers.whatsapp.parse import parse, parse_body
from relaybird.templates import service
from relaybird.wiring import registered_handlers
from tests.data import TEMPLATE_FIXTURES, WEBHOOK_FIXTURES
from tests.factories import make_sender, make_workspace
from tests.fixtures.live_server import LiveServer
from tests.inbox.helpers import signed
from tests.templates.helpers import catalogue_item, fixture

TEMPLATE_FILES = sorted(
    [p for p in WEBHOOK_FIXTURES.glob("template-*.json")]
    + [p for p in TEMPLATE_FIXTURES.glob("template-*.json") if "entry" in p.read_text()]
)

# The catalogue the fixtures talk about: (waba, Meta id, name, language, status, category).
CATALOGUE = [
    (
        "100000000000001",
        "900000000000014",
        "limited_time_offer_tuscan_getaway_2023",
        "en_US",
        "APPROVED",
        "MARKETING",
    ),
    ("100000000000001", "900000000000018", "welcome_template", "en_US", "APPROVED", "UTILITY"),
    ("100000000000001", "900000000000019", "order_confirmation", "en_US", "APPROVED", "UTILITY"),
    ("102290129340398", "1689556908129832", "order_confirmation", "en_US", "PENDING", "UTILITY"),
    ("102290129340398", "1689556908129835", "abandoned_cart", "en", "PENDING", "MARKETING"),
    ("102290129340398", "806312974732579", "welcome_template", "en_US", "APPROVED", "UTILITY"),
    ("57438975935", "12345678", "my_message_template", "he", "APPROVED", "UTILITY"),
]


def test_each_template_fixture_parses_into_its_event() -> None:
    names = {p.name for p in TEMPLATE_FILES}
    assert names == {
        "template-category-update--pywa.json",
        "template-quality-yellow--pywa.json",
        "template-status-approved--pywa.json",
        "template-status-rejected--pywa.json",
        "template-category-update-completed--meta-doc.json",
        "template-category-update-impending--meta-doc.json",
        "template-components-update--meta-doc.json",
        "template-status-disabled--assembled.json",
        "template-status-paused-second-pause--acl-adapted.json",
    }
    got = {p.name: parse_body(p.read_bytes()) for p in TEMPLATE_FILES}
    [paused] = got["template-status-paused-second-pause--acl-adapted.json"]
    assert isinstance(paused, ev.TemplateStatusUpdate)
    assert (paused.event, paused.template_id, paused.info_title) == (
        "PAUSED",
        "900000000000014",
        "SECOND_PAUSE",
    )
    assert paused.info_description is not None and "6 hours until Aug 31" in paused.info_description
    assert paused.timestamp == datetime.fromtimestamp(1756579620, UTC)
    [disabled] = got["template-status-disabled--assembled.json"]
    assert isinstance(disabled, ev.TemplateStatusUpdate) and disabled.event == "DISABLED"
    assert disabled.disable_date == datetime.fromtimestamp(1751234563, UTC)
    [rejected] = got["template-status-rejected--pywa.json"]
    assert isinstance(rejected, ev.TemplateStatusUpdate) and rejected.reason == "INVALID_FORMAT"
    assert rejected.rejection_reason is not None and "{{1}}{{2}}" in rejected.rejection_reason
    assert rejected.rejection_recommendation is not None
    [approved] = got["template-status-approved--pywa.json"]
    assert isinstance(approved, ev.TemplateStatusUpdate) and approved.event == "APPROVED"
    [quality] = got["template-quality-yellow--pywa.json"]
    assert isinstance(quality, ev.TemplateQualityUpdate)
    assert (quality.previous_quality, quality.new_quality) == ("GREEN", "YELLOW")
    [notice] = got["template-category-update-impending--meta-doc.json"]
    assert isinstance(notice, ev.TemplateCategoryUpdate) and notice.announced
    assert (notice.new_category, notice.correct_category) == ("UTILITY", "MARKETING")
    assert notice.category_update_at == datetime.fromtimestamp(1746169200, UTC)
    [done] = got["template-category-update-completed--meta-doc.json"]
    assert isinstance(done, ev.TemplateCategoryUpdate) and not done.announced
    assert (done.previous_category, done.new_category) == ("UTILITY", "MARKETING")
    [bare] = got["template-category-update--pywa.json"]
    assert isinstance(bare, ev.TemplateCategoryUpdate) and not bare.announced
    assert (bare.previous_category, bare.new_category) == (None, "MARKETING")
    [edit] = got["template-components-update--meta-doc.json"]
    assert isinstance(edit, ev.TemplateComponentsUpdate) and edit.template_id == "900000000000019"


def test_a_quality_update_labelled_as_a_status_update_is_still_a_quality_update() -> None:
    """Meta's own quality example puts it under field message_template_status_update."""
    body = fixture("template-quality-yellow--pywa.json")
    body["entry"][0]["changes"][0]["field"] = "message_template_status_update"
    [event] = parse(body)
    assert isinstance(event, ev.TemplateQualityUpdate) and event.new_quality == "YELLOW"
    body["entry"][0]["changes"][0]["value"] = {"event": 7}
    [odd] = parse(body)
    assert isinstance(odd, ev.TemplateStatusUpdate) and odd.event == "7"
    body["entry"][0]["changes"][0]["value"] = {"message_template_id": 1}
    [unknown] = parse(body)
    assert isinstance(unknown, ev.Unknown)
    # A `field` that is not a string (the fuzzer sent an object) is an Unknown, not a crash.
    body["entry"][0]["changes"][0]["field"] = {"not": "a string"}
    [odd_field] = parse(body)
    assert isinstance(odd_field, ev.Unknown)


def _catalogue(ctx: AppContext) -> dict[tuple[str, str], int]:
    ids: dict[tuple[str, str], int] = {}
    with ctx.db.write() as session:
        ws = make_workspace(session)
        for waba in {c[0] for c in CATALOGUE}:
            make_sender(session, ws, waba_id=waba)
            items = [
                catalogue_item(
                    {
                        "name": name,
                        "language": lang,
                        "components": [{"type": "BODY", "text": "Hi {{1}}"}],
                    },
                    id=meta_id,
                    status=status,
                    category=category,
                    quality_score="GREEN",
                )
                for w, meta_id, name, lang, status, category in CATALOGUE
                if w == waba
            ]
            service.apply_catalogue(session, ws, waba, items, actor="sync", now=ctx.clock.now())
        for t in session.scalars(select(Template)):
            ids[(t.waba_id, t.meta_id)] = t.id
    return ids


def _post(server: LiveServer, name: str, raw: bytes | None = None) -> None:
    folder = TEMPLATE_FIXTURES if (TEMPLATE_FIXTURES / name).exists() else WEBHOOK_FIXTURES
    raw = raw or (folder / name).read_bytes()
    request = urllib.request.Request(
        server.whatsapp_webhook_url, data=raw, method="POST", headers=signed(raw)
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    step = applier.apply_batch(server.ctx, registered_handlers())
    assert step.rows == 1 and step.failed == 0 and step.unknown == 0, name


def _row(ctx: AppContext, template_id: int) -> Template:
    with ctx.db.read() as session:
        template = session.get(Template, template_id)
        assert template is not None
        return template


def _last(ctx: AppContext, template_id: int) -> tuple[Any, ...]:
    with ctx.db.read() as session:
        row = session.scalars(
            select(Transition)
            .where(Transition.entity == "template", Transition.entity_id == template_id)
            .order_by(Transition.id.desc())
        ).first()
        assert row is not None
        return (row.from_state, row.to_state, row.event, row.actor, row.reason)


def _outbox(ctx: AppContext, template_id: int) -> list[dict[str, Any]]:
    with ctx.db.read() as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.entity == "template", OutboxEvent.entity_id == template_id)
            .order_by(OutboxEvent.id)
        )
        return [r.payload for r in rows]


def test_every_template_fixture_applies_with_history_and_events(live_server: LiveServer) -> None:
    ctx = live_server.ctx
    ids = _catalogue(ctx)
    lto = ids[("100000000000001", "900000000000014")]

    _post(live_server, "template-status-paused-second-pause--acl-adapted.json")
    t = _row(ctx, lto)
    assert t.status == "PAUSED" and t.status_reason is not None
    assert t.status_reason.startswith(
        "SECOND_PAUSE — Your WhatsApp message template has been paused for 6 hours"
    )
    assert t.status_info == {
        "event": "PAUSED",
        "reason": "NONE",
        "title": "SECOND_PAUSE",
        "description": t.status_reason.split(" — ", 1)[1],
    }
    assert _last(ctx, lto)[:4] == ("APPROVED", "PAUSED", "paused", "webhook")
    event = _outbox(ctx, lto)[-1]
    assert event["type"] == "template.status_changed"
    assert event["data"]["from"] == "APPROVED" and event["data"]["to"] == "PAUSED"
    assert event["data"]["template"]["name"] == "limited_time_offer_tuscan_getaway_2023"
    assert event["data"]["meta"]["title"] == "SECOND_PAUSE"

    # Meta delivers duplicates (the byte-identical ones the inbox stores once; another app's
    # copy differs in its envelope): the same change again moves nothing.
    again = fixture("template-status-paused-second-pause--acl-adapted.json")
    again["entry"][0]["time"] += 1
    _post(live_server, "again", json.dumps(again).encode())
    assert len(_outbox(ctx, lto)) == 2  # the first sync, the pause

    _post(live_server, "template-status-disabled--assembled.json")
    t = _row(ctx, lto)
    assert t.status == "DISABLED" and t.status_info is not None
    assert t.status_info["disable_date"] == "2025-06-29T22:02:43+00:00"
    assert _last(ctx, lto)[:3] == ("PAUSED", "DISABLED", "disabled")

    approved = ids[("102290129340398", "1689556908129832")]
    _post(live_server, "template-status-approved--pywa.json")
    assert _row(ctx, approved).status == "APPROVED"
    assert _last(ctx, approved)[:3] == ("PENDING", "APPROVED", "approved")

    rejected = ids[("102290129340398", "1689556908129835")]
    _post(live_server, "template-status-rejected--pywa.json")
    t = _row(ctx, rejected)
    assert (t.status, t.rejected_reason) == ("REJECTED", "INVALID_FORMAT")
    reason = _last(ctx, rejected)[4]
    assert reason.startswith(
        "INVALID_FORMAT — Your template has parameters placed next to each other"
    )

    quality = ids[("102290129340398", "806312974732579")]
    _post(live_server, "template-quality-yellow--pywa.json")
    assert _row(ctx, quality).quality_score == "YELLOW"
    assert _last(ctx, quality)[:4] == ("GREEN", "YELLOW", "quality_yellow", "webhook")
    assert _outbox(ctx, quality)[-1]["type"] == "template.quality_score_changed"

    welcome = ids[("100000000000001", "900000000000018")]
    _post(live_server, "template-category-update-impending--meta-doc.json")
    t = _row(ctx, welcome)
    assert (t.category, t.pending_category) == ("UTILITY", "MARKETING")
    assert t.pending_category_at == datetime.fromtimestamp(1746169200, UTC)
    notice = _outbox(ctx, welcome)[-1]
    assert notice["type"] == "template.category_change_announced"
    assert notice["data"]["correct_category"] == "MARKETING"
    _post(live_server, "template-category-update-completed--meta-doc.json")
    t = _row(ctx, welcome)
    assert (t.category, t.pending_category, t.pending_category_at) == ("MARKETING", None, None)
    assert _last(ctx, welcome)[:4] == ("UTILITY", "MARKETING", "recategorised", "webhook")
    assert _outbox(ctx, welcome)[-1]["type"] == "template.category_changed"

    bare = ids[("57438975935", "12345678")]
    _post(live_server, "template-category-update--pywa.json")
    assert _row(ctx, bare).category == "MARKETING"

    edited = ids[("100000000000001", "900000000000019")]
    _post(live_server, "template-components-update--meta-doc.json")
    assert _outbox(ctx, edited)[-1]["type"] == "template.components_changed"
    with ctx.db.read() as session:
        state = service.repository.sync_state(
            session, _row(ctx, edited).workspace_id, "100000000000001"
        )
        assert state is not None and state.due


def test_a_webhook_for_a_template_we_do_not_know_is_dropped_not_retried(
    live_server: LiveServer,
) -> None:
    ctx = live_server.ctx
    raw = (WEBHOOK_FIXTURES / "template-status-approved--pywa.json").read_bytes()
    request = urllib.request.Request(
        live_server.whatsapp_webhook_url, data=raw, method="POST", headers=signed(raw)
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    step = applier.apply_batch(ctx, registered_handlers())
    assert (step.rows, step.applied, step.retried, step.failed) == (1, 1, 0, 0)


@pytest.mark.parametrize(
    ("event", "start", "end"),
    [
        ("REINSTATED", "DISABLED", "APPROVED"),
        ("IN_APPEAL", "REJECTED", "IN_APPEAL"),
        ("FLAGGED", "APPROVED", "FLAGGED"),
        ("PENDING_DELETION", "APPROVED", "PENDING_DELETION"),
        ("DELETED", "PENDING_DELETION", "DELETED"),
        ("ARCHIVED", "APPROVED", "ARCHIVED"),
        ("UNARCHIVED", "ARCHIVED", "APPROVED"),
        ("LOCKED", "APPROVED", "LOCKED"),
        ("LIMIT_EXCEEDED", "PENDING", "LIMIT_EXCEEDED"),
        ("PENDING", "APPROVED", "PENDING"),
    ],
)
def test_each_status_meta_reports_maps_to_a_move(
    sqlite_ctx: AppContext, event: str, start: str, end: str
) -> None:
    ctx = sqlite_ctx
    with ctx.db.write() as session:
        ws = make_workspace(session)
        make_sender(session, ws, waba_id="w")
        item = catalogue_item(
            {"name": "t", "language": "en", "components": []}, id="77", status=start
        )
        service.apply_catalogue(session, ws, "w", [item], actor="sync", now=ctx.clock.now())
    body = fixture("template-status-approved--pywa.json")
    value = body["entry"][0]["changes"][0]["value"]
    body["entry"][0]["id"] = "w"
    value.update(
        event=event,
        message_template_id=77,
        message_template_name="t",
        message_template_language="en",
    )
    if event == "DELETED":
        value["reason"] = None
    [update] = parse(body)
    assert isinstance(update, ev.TemplateStatusUpdate)
    with ctx.db.write() as session:
        [moved] = service.apply_status_update(session, update, now=ctx.clock.now()) or []
    assert (moved.source, moved.target) == (start, end)
    with ctx.db.read() as session:
        [t] = session.scalars(select(Template)).all()
        assert t.status == end
        history = session.scalars(select(Transition.event).order_by(Transition.id)).all()
        assert history == ["synced", event.lower()]


def test_a_move_out_of_order_is_skipped_and_left_to_the_next_sync(sqlite_ctx: AppContext) -> None:
    ctx = sqlite_ctx
    with ctx.db.write() as session:
        ws = make_workspace(session)
        make_sender(session, ws, waba_id="w")
        item = catalogue_item(
            {"name": "t", "language": "en", "components": []}, id="77", status="DELETED"
        )
        service.apply_catalogue(session, ws, "w", [item], actor="sync", now=ctx.clock.now())
    body = fixture("template-status-approved--pywa.json")
    body["entry"][0]["id"] = "w"
    body["entry"][0]["changes"][0]["value"].update(message_template_id=77)
    [update] = parse(body)
    with ctx.db.write() as session:
        # Matched (not None), nothing moved ([]): DELETED has no APPROVED move.
        assert service.apply_status_update(session, update, now=ctx.clock.now()) == []  # type: ignore[arg-type]
    with ctx.db.read() as session:
        [t] = session.scalars(select(Template)).all()
        assert t.status == "DELETED"
