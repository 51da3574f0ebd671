"""The stored catalogue made what Meta listed, on both databases: new templates, moves of status,
quality and category through their tables (history + outbox), templates gone from Meta marked
DELETED, a second identical sync writing nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from relaybird.context import AppContext
from relaybird.errors import InvalidInput, NotFound
from relaybird.kit.time import ManualClock
from relaybird.models import OutboxEvent, Template, Transition
from relaybird.templates import repository, service
from relaybird.templates.transitions import TemplateStatus
from tests.factories import make_sender, make_workspace
from tests.templates.helpers import catalogue_item, listed, seeded

WABA = "100000000000001"


def _setup(ctx: AppContext) -> tuple[int, int]:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, waba_id=WABA)
    return ws, sender


def _sync(ctx: AppContext, ws: int, items: list[Any]) -> service.SyncResult:
    with ctx.db.write() as session:
        return service.apply_catalogue(session, ws, WABA, items, actor="sync", now=ctx.clock.now())


def _by_name(ctx: AppContext, ws: int) -> dict[str, Template]:
    with ctx.db.read() as session:
        return {t.name: t for t in repository.of_waba(session, ws, WABA)}


def _history(ctx: AppContext, template_id: int) -> list[tuple[Any, ...]]:
    with ctx.db.read() as session:
        rows = session.scalars(
            select(Transition)
            .where(Transition.entity == "template", Transition.entity_id == template_id)
            .order_by(Transition.id)
        )
        return [(r.from_state, r.to_state, r.event, r.actor) for r in rows]


def _events(ctx: AppContext) -> list[str]:
    with ctx.db.read() as session:
        return list(session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))


def test_a_sync_creates_moves_and_deletes(ctx: AppContext, clock: ManualClock) -> None:
    ws, _ = _setup(ctx)
    page1 = [
        catalogue_item(listed("reservation_confirmation")),
        catalogue_item(listed("coupon_expiration_reminder_number_vars")),
    ]
    page2 = [
        catalogue_item(listed("coupon_code_onetime_winter_2025")),
        catalogue_item(listed("limited_time_offer_tuscan_getaway_2023")),
    ]
    first = _sync(ctx, ws, page1 + page2)
    assert (first.total, first.created, first.moved, first.deleted) == (4, 4, 0, 0)
    stored = _by_name(ctx, ws)
    lto = stored["limited_time_offer_tuscan_getaway_2023"]
    assert (lto.status, lto.category, lto.meta_id, lto.parameter_format) == (
        "PAUSED",
        "MARKETING",
        "900000000000014",
        "POSITIONAL",
    )
    assert lto.components == listed("limited_time_offer_tuscan_getaway_2023")["components"]
    assert stored["reservation_confirmation"].parameter_format == "NAMED"
    assert _history(ctx, lto.id) == [(None, "PAUSED", "synced", "sync")]

    # Meta unpaused one, recategorised another, changed a quality, deleted a third.
    clock.advance(timedelta(hours=1))
    second = _sync(
        ctx,
        ws,
        [
            catalogue_item(listed("reservation_confirmation"), category="MARKETING"),
            catalogue_item(listed("coupon_expiration_reminder_number_vars"), quality_score="RED"),
            catalogue_item(listed("limited_time_offer_tuscan_getaway_2023"), status="APPROVED"),
        ],
    )
    assert (second.created, second.moved, second.deleted, second.updated) == (0, 1, 1, 2)
    stored = _by_name(ctx, ws)
    assert stored["limited_time_offer_tuscan_getaway_2023"].status == "APPROVED"
    assert stored["coupon_code_onetime_winter_2025"].status == "DELETED"
    assert stored["reservation_confirmation"].category == "MARKETING"
    assert stored["coupon_expiration_reminder_number_vars"].quality_score == "RED"
    assert _history(ctx, lto.id)[-1] == ("PAUSED", "APPROVED", "synced", "sync")
    deleted = stored["coupon_code_onetime_winter_2025"]
    assert _history(ctx, deleted.id)[-1] == ("APPROVED", "DELETED", "missing_at_sync", "sync")
    events = _events(ctx)
    assert events.count("template.status_changed") == 4 + 2
    assert events.count("template.quality_score_changed") == 1
    assert events.count("template.category_changed") == 1

    # The same listing again writes nothing; a deleted template that comes back keeps its row.
    with ctx.db.read() as session:
        before = session.scalar(select(func.count()).select_from(Transition))
    again = _sync(
        ctx,
        ws,
        [
            catalogue_item(listed("reservation_confirmation"), category="MARKETING"),
            catalogue_item(listed("coupon_expiration_reminder_number_vars"), quality_score="RED"),
            catalogue_item(listed("limited_time_offer_tuscan_getaway_2023"), status="APPROVED"),
        ],
    )
    assert (again.created, again.moved, again.updated, again.deleted) == (0, 0, 0, 0)
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Transition)) == before
    back = _sync(ctx, ws, [catalogue_item(listed("coupon_code_onetime_winter_2025"))])
    assert back.created == 0 and back.moved == 1
    assert _by_name(ctx, ws)["coupon_code_onetime_winter_2025"].id == deleted.id


def test_unreadable_statuses_are_skipped_not_fatal(ctx: AppContext) -> None:
    ws, _ = _setup(ctx)
    result = _sync(
        ctx,
        ws,
        [
            catalogue_item(seeded("welcome"), status="SOMETHING_NEW"),
            catalogue_item(seeded("hello_world")),
        ],
    )
    assert result.created == 1 and result.skipped == ["welcome (en): status 'SOMETHING_NEW'"]


def test_listing_filters_and_resolving_for_a_campaign(ctx: AppContext) -> None:
    ws, sender = _setup(ctx)
    _sync(
        ctx,
        ws,
        [
            catalogue_item(seeded(n))
            for n in ("hello_world", "welcome", "address_update", "summer_promo")
        ],
    )
    with ctx.db.write() as session:
        other = make_sender(session, ws, waba_id="another")
        bare = make_sender(session, ws)
    with ctx.db.read() as session:
        page = service.list_templates(session, ws, sender_id=sender, limit=2)
        assert len(page.items) == 2 and page.next_cursor is not None
        rest = service.list_templates(session, ws, sender_id=sender, cursor=page.next_cursor)
        assert len(rest.items) == 2 and rest.next_cursor is None
        pending = service.list_templates(session, ws, status=TemplateStatus.PENDING)
        assert [t.name for t in pending.items] == ["address_update"]
        assert [t.name for t in service.list_templates(session, ws, name="SUMMER").items] == [
            "summer_promo"
        ]
        assert service.list_templates(session, ws, name="%").items == []
        assert service.list_templates(session, ws, sender_id=other).items == []
        found = service.resolve_template(session, ws, sender, name="summer_promo", language="en_US")
        assert found.name == "summer_promo" and service.is_sendable(found)
        assert service.resolve_template(session, ws, sender, template_id=found.id).id == found.id
        with pytest.raises(InvalidInput, match="not in the catalogue"):
            service.resolve_template(session, ws, sender, name="summer_promo", language="en")
        with pytest.raises(InvalidInput, match="not in the catalogue"):
            service.resolve_template(session, ws, other, template_id=found.id)
        with pytest.raises(InvalidInput, match="has no waba_id"):
            service.list_templates(session, ws, sender_id=bare)
        with pytest.raises(NotFound):
            service.get_template(session, ws + 1000, found.id)
