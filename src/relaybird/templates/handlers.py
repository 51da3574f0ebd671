"""The inbox applier's hooks for templates: status, quality, category and edit webhooks → the
template lifecycles (``templates.service``). Registered in ``relaybird.wiring.registered_handlers``.

A webhook for a template we have not synced yet (or another app's account) is returned as
unmatched: the applier logs it; the next catalogue sync reads the state it reported.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.providers.whatsapp.events import (
    TemplateCategoryUpdate,
    TemplateComponentsUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
)
from relaybird.templates import service


def register(registry: Registry) -> None:
    registry.on(TemplateStatusUpdate, on_status_updates)
    registry.on(TemplateQualityUpdate, on_quality_updates)
    registry.on(TemplateCategoryUpdate, on_category_updates)
    registry.on(TemplateComponentsUpdate, on_components_updates)


def on_status_updates(
    session: Session, events: Sequence[TemplateStatusUpdate], ctx: ApplyContext
) -> list[TemplateStatusUpdate]:
    return [e for e in events if service.apply_status_update(session, e, now=ctx.now) is None]


def on_quality_updates(
    session: Session, events: Sequence[TemplateQualityUpdate], ctx: ApplyContext
) -> list[TemplateQualityUpdate]:
    return [e for e in events if service.apply_quality_update(session, e, now=ctx.now) is None]


def on_category_updates(
    session: Session, events: Sequence[TemplateCategoryUpdate], ctx: ApplyContext
) -> list[TemplateCategoryUpdate]:
    return [e for e in events if service.apply_category_update(session, e, now=ctx.now) is None]


def on_components_updates(
    session: Session, events: Sequence[TemplateComponentsUpdate], ctx: ApplyContext
) -> list[TemplateComponentsUpdate]:
    return [e for e in events if service.apply_components_update(session, e, now=ctx.now) is None]
