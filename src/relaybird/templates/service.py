"""Templates: the catalogue a sync reads, the moves Meta's webhooks report, and what the doors
and the next wave's campaigns ask.

Every status, quality and category change goes through the tables of ``templates.transitions``
(``events.transitions``: compare-and-set, a history row, an outbox event that outgoing webhooks
carry). A move a table refuses is a webhook out of order: logged and skipped, the next sync
settles it. Services never commit; the door (request, applier batch, job step) does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relaybird.errors import IllegalTransition, InvalidInput, found
from relaybird.events.outbox import emit
from relaybird.events.transitions import Moved, apply_transition, history, record
from relaybird.kit.pagination import Page
from relaybird.models import Template, Transition
from relaybird.providers.port import CatalogueTemplate
from relaybird.providers.whatsapp.events import (
    TemplateCategoryUpdate,
    TemplateComponentsUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
)
from relaybird.templates import repository
from relaybird.templates.mapping import SlotMapping, ValueSource, check_mapping
from relaybird.templates.slots import ParameterFormat, TemplateSlots, parse_components
from relaybird.templates.transitions import (
    EVENT_TARGET,
    SENDABLE,
    STATUS_EVENTS,
    TEMPLATE,
    TEMPLATE_CATEGORY,
    TEMPLATE_QUALITY,
    TemplateCategoryEvent,
    TemplateEvent,
    TemplateQuality,
    TemplateStatus,
    parse_category,
    parse_quality,
    parse_status,
    quality_event,
)

log = logging.getLogger("relaybird.templates")

WEBHOOK = "webhook"


# --- reading -----------------------------------------------------------------------------------


def get_template(session: Session, workspace_id: int, template_id: int) -> Template:
    return found(repository.get(session, workspace_id, template_id), f"template {template_id}")


def slots_of(template: Template) -> TemplateSlots:
    return parse_components(template.components, template.parameter_format)


def is_sendable(template: Template) -> bool:
    return TemplateStatus(template.status) in SENDABLE


def list_templates(
    session: Session,
    workspace_id: int,
    *,
    sender_id: int | None = None,
    status: TemplateStatus | None = None,
    name: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Template]:
    """The workspace's catalogue; ``sender_id`` narrows it to that number's business account."""
    waba_id = None
    if sender_id is not None:
        waba_id = _waba_of(session, workspace_id, sender_id)
    return repository.page(
        session,
        workspace_id,
        waba_id=waba_id,
        status=None if status is None else status.value,
        name=name,
        cursor=cursor,
        limit=limit,
    )


def resolve_template(
    session: Session,
    workspace_id: int,
    sender_id: int,
    *,
    template_id: int | None = None,
    name: str | None = None,
    language: str | None = None,
) -> Template:
    """The catalogue entry a campaign on ``sender_id`` names, by id or by name + language; it must
    belong to the sender's business account. (A seam for the campaigns wave.)"""
    waba_id = _waba_of(session, workspace_id, sender_id)
    if template_id is not None:
        template = repository.get(session, workspace_id, template_id)
        if template is None or template.waba_id != waba_id:
            raise InvalidInput(
                f"template {template_id} is not in the catalogue of sender {sender_id}'s "
                "business account",
                errors=[_error("template_id", "not in the sender's catalogue")],
            )
        return template
    if not name or not language:
        raise InvalidInput("name a template by template_id, or by name and language")
    found = repository.by_name(session, workspace_id, waba_id, name, language)
    if found is None:
        raise InvalidInput(
            f"template {name!r} ({language}) is not in the catalogue of business account "
            f"{waba_id} (sender {sender_id}); run templates sync (POST "
            f"/api/v1/senders/{sender_id}/templates/sync or `relaybird templates sync "
            f"{sender_id}`)",
            errors=[_error("template", "not in the sender's catalogue")],
        )
    return found


def has_catalogue(session: Session, workspace_id: int, waba_id: str | None) -> bool:
    """A sync (or the webhooks since) gave this account templates: campaigns on it are checked
    against them. No catalogue yet: campaigns name their template by free text, unchecked."""
    return bool(waba_id) and repository.count(session, workspace_id, str(waba_id)) > 0


def campaign_problems(template: Template, body_params: Sequence[str]) -> list[str]:
    """Why a campaign that fills only the body, positionally, from ``body_params`` (its upload
    columns, in order) cannot send ``template``: not sendable (its status and Meta's reason), a
    body parameter count that is not the template's, named parameters, or a header or button
    that needs a value (``check_mapping``'s problems for those slots). Empty: it can."""
    label = f"template {template.name!r} ({template.language})"
    problems: list[str] = []
    if not is_sendable(template):
        why = template.status_reason or template.rejected_reason
        problems.append(
            f"{label} is {template.status}, not sendable" + (f" (Meta: {why})" if why else "")
        )
    slots = slots_of(template)
    keys = slots.body_keys
    if len(body_params) != len(keys):
        shown = ", ".join(f"{{{{{k}}}}}" for k in keys) or "none"
        problems.append(
            f"{label} has {len(keys)} body parameter(s) ({shown}); "
            f"template.body_params names {len(body_params)}"
        )
    if slots.parameter_format == ParameterFormat.NAMED and keys:
        problems.append(
            f"{label} uses named body parameters; campaigns send them by position "
            "(Meta refuses that: 132012)"
        )
    positional = {
        k: ValueSource(column=c) for k, c in zip(keys, body_params, strict=False) if c.strip()
    }
    others = [
        p
        for p in check_mapping(slots, SlotMapping(body=positional))
        if not p.slot.startswith("body.")
    ]
    problems += [f"{label}: {p} (campaigns fill body parameters only)" for p in others]
    return problems


def _error(field: str, message: str) -> dict[str, Any]:
    return {"loc": [field], "msg": message, "type": "template_not_in_catalogue"}


def history_of(
    session: Session, workspace_id: int, template_id: int, **window: int | None
) -> list[Transition]:
    get_template(session, workspace_id, template_id)
    return history(session, TEMPLATE.entity, template_id, workspace_id, **window)


def _waba_of(session: Session, workspace_id: int, sender_id: int) -> str:
    sender = found(repository.sender(session, workspace_id, sender_id), f"sender {sender_id}")
    if not sender.waba_id:
        raise InvalidInput(
            f"sender {sender_id} has no waba_id: templates belong to a WhatsApp Business Account"
        )
    return sender.waba_id


# --- the catalogue a sync read -------------------------------------------------------------------


@dataclass
class SyncResult:
    waba_id: str
    total: int = 0  # templates Meta listed
    created: int = 0
    updated: int = 0  # a field other than the status changed (components, quality, ...)
    moved: int = 0  # status changes
    deleted: int = 0  # gone from Meta's catalogue → DELETED
    skipped: list[str] = field(default_factory=list)  # unreadable items, with why


def apply_catalogue(
    session: Session,
    workspace_id: int,
    waba_id: str,
    items: Sequence[CatalogueTemplate],
    *,
    actor: str,
    now: datetime,
) -> SyncResult:
    """Make the stored catalogue what Meta listed: new templates appear, changed ones move
    (status, quality, category through their tables), and templates Meta no longer lists are
    marked DELETED (kept, so history and campaigns that named them still resolve; they come back
    with their history if Meta lists them again)."""
    result = SyncResult(waba_id=waba_id, total=len(items))
    existing = {(t.name, t.language): t for t in repository.of_waba(session, workspace_id, waba_id)}
    listed: set[tuple[str, str]] = set()
    for item in items:
        status = parse_status(item.status)
        if status is None:
            result.skipped.append(f"{item.name} ({item.language}): status {item.status!r}")
            continue
        listed.add((item.name, item.language))
        template = existing.get((item.name, item.language))
        if template is None:
            _create(session, workspace_id, waba_id, item, status, actor=actor, now=now)
            result.created += 1
            continue
        changed = _refresh(session, template, item, now=now)
        if template.status != status.value:
            _move(
                session,
                template.id,
                TemplateEvent.SYNCED,
                status,
                actor=actor,
                reason="read at sync",
                at=now,
            )
            result.moved += 1
        if _settle_quality(session, template, item.quality_score, actor=actor, now=now):
            changed = True
        category = parse_category(item.category)
        if category is not None and template.category != category.value:
            _move_category(
                session,
                template.id,
                TemplateCategoryEvent.CATEGORY_SYNCED,
                category,
                actor,
                now,
                None,
            )
            changed = True
        result.updated += int(changed)
    for key, template in existing.items():
        if key not in listed and template.status != TemplateStatus.DELETED.value:
            _move(
                session,
                template.id,
                TemplateEvent.MISSING_AT_SYNC,
                TemplateStatus.DELETED,
                actor=actor,
                reason="no longer in Meta's catalogue",
                at=now,
            )
            result.deleted += 1
    repository.record_sync(session, workspace_id, waba_id, at=now, templates=len(listed))
    return result


def record_sync_failure(
    session: Session, workspace_id: int, waba_id: str, error: str, *, now: datetime
) -> None:
    repository.record_sync(session, workspace_id, waba_id, at=now, error=error[:500])


def _create(
    session: Session,
    workspace_id: int,
    waba_id: str,
    item: CatalogueTemplate,
    status: TemplateStatus,
    *,
    actor: str,
    now: datetime,
) -> Template:
    category = parse_category(item.category)
    template = repository.add(
        session,
        workspace_id=workspace_id,
        waba_id=waba_id,
        meta_id=item.id,
        name=item.name,
        language=item.language,
        status=status.value,
        category=None if category is None else category.value,
        sub_category=item.sub_category,
        quality_score=(parse_quality(item.quality_score) or TemplateQuality.UNKNOWN).value,
        parameter_format=(item.parameter_format or "POSITIONAL").upper(),
        components=list(item.components),
        rejected_reason=_reason(item.rejected_reason),
        status_changed_at=now,
        synced_at=now,
        created_at=now,
        updated_at=now,
    )
    record(
        session,
        TEMPLATE,
        [Moved(template.id, workspace_id, None, status.value)],
        event=TemplateEvent.SYNCED,
        actor=actor,
        reason="first read at sync",
        data=_data(template),
        at=now,
    )
    return template


def _refresh(
    session: Session, template: Template, item: CatalogueTemplate, *, now: datetime
) -> bool:
    values: dict[str, Any] = {"synced_at": now}
    fresh = {
        "meta_id": item.id,
        "components": list(item.components),
        "parameter_format": (item.parameter_format or "POSITIONAL").upper(),
        "sub_category": item.sub_category,
        "rejected_reason": _reason(item.rejected_reason),
    }
    changed = {k: v for k, v in fresh.items() if getattr(template, k) != v}
    values.update(changed)
    if changed:
        values["updated_at"] = now
    repository.set_fields(session, template.id, values)
    return bool(changed)


def _reason(value: str | None) -> str | None:
    """Meta reports ``NONE`` for "no reason"; we store nothing."""
    return None if value is None or value.upper() == "NONE" else value


# --- moves ---------------------------------------------------------------------------------------


def _move(
    session: Session,
    template_id: int,
    event: TemplateEvent,
    target: TemplateStatus,
    *,
    actor: str,
    reason: str | None,
    at: datetime,
    values: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Moved | None:
    """Move the status through the TEMPLATE table; None when the table refuses (out of order)."""
    try:
        return apply_transition(
            session,
            TEMPLATE,
            Template,
            template_id,
            event=event,
            target=target,
            actor=actor,
            reason=reason,
            values={"status_changed_at": at, "updated_at": at, **(values or {})},
            data=data or _data(repository.get_any(session, template_id)),
            at=at,
        )
    except IllegalTransition as exc:
        log.warning("template %s: %s (left to the next sync)", template_id, exc.detail)
        return None


def _settle_quality(
    session: Session, template: Template, score: str | None, *, actor: str, now: datetime
) -> bool:
    quality = parse_quality(score)
    if quality is None or template.quality_score == quality.value:
        return False
    apply_transition(
        session,
        TEMPLATE_QUALITY,
        Template,
        template.id,
        event=quality_event(quality),
        target=quality,
        actor=actor,
        reason="read at sync",
        data=_data(template),
        at=now,
    )
    return True


def _move_category(
    session: Session,
    template_id: int,
    event: TemplateCategoryEvent,
    target: Any,
    actor: str,
    now: datetime,
    reason: str | None,
) -> Moved:
    template = repository.get_any(session, template_id)
    return apply_transition(
        session,
        TEMPLATE_CATEGORY,
        Template,
        template_id,
        event=event,
        target=target,
        actor=actor,
        reason=reason,
        values={"pending_category": None, "pending_category_at": None, "updated_at": now},
        data=_data(template),
        at=now,
    )


def _data(template: Template | None) -> dict[str, Any]:
    """What every outgoing template event carries besides from/to."""
    if template is None:
        return {}
    return {
        "template": {
            "id": template.id,
            "name": template.name,
            "language": template.language,
            "waba_id": template.waba_id,
            "meta_id": template.meta_id,
        }
    }


# --- webhooks (inbox handlers call these) ---------------------------------------------------------


def apply_status_update(
    session: Session, e: TemplateStatusUpdate, *, now: datetime
) -> list[Moved] | None:
    """A ``message_template_status_update``: move every matching template (one per workspace
    holding the account). Returns the moves that changed a status (what the campaigns wave
    reacts to), or None when no template matches (not synced yet, or another app's account)."""
    ids = repository.matching(session, e.waba_id, e.template_id, e.template_name, e.language)
    if not ids:
        return None
    event = STATUS_EVENTS.get(e.event.upper())
    if event is None:
        log.warning("template status event %r is not modelled; the next sync reads it", e.event)
        return []
    target = EVENT_TARGET[event]
    info = {
        k: v
        for k, v in {
            "event": e.event,
            "reason": e.reason,
            "title": e.info_title,
            "description": e.info_description,
            "rejection_reason": e.rejection_reason,
            "recommendation": e.rejection_recommendation,
            "disable_date": e.disable_date.isoformat() if e.disable_date else None,
        }.items()
        if v is not None
    }
    reason = _status_reason(e)
    values: dict[str, Any] = {"status_reason": reason, "status_info": info}
    if target == TemplateStatus.REJECTED:
        values["rejected_reason"] = _reason(e.reason)
    at = e.timestamp or now
    moves: list[Moved] = []
    for template_id in ids:
        template = repository.get_any(session, template_id)
        moved = _move(
            session,
            template_id,
            event,
            target,
            actor=WEBHOOK,
            reason=reason,
            at=at,
            values=values,
            data={**_data(template), "meta": info},
        )
        if moved is not None and moved.changed:
            moves.append(moved)
    return moves


def named_by(session: Session, e: TemplateStatusUpdate | TemplateQualityUpdate) -> list[Template]:
    """The templates a status or quality webhook names (one per workspace holding the account),
    as they are now: what campaigns check after the move (``campaigns.template_stops``)."""
    ids = repository.matching(session, e.waba_id, e.template_id, e.template_name, e.language)
    return repository.fresh(session, ids)


def stop_reason(template: Template) -> str:
    """Why campaigns on a template that is not sendable stop: its name, status, Meta's words."""
    why = template.status_reason or template.rejected_reason
    return f"template {template.name!r} ({template.language}) is {template.status}" + (
        f": {why}" if why else ""
    )


def _status_reason(e: TemplateStatusUpdate) -> str | None:
    """Meta's words for the move: the pause's description, the rejection's reason, ..."""
    parts = [
        p
        for p in (
            e.info_title,
            e.info_description,
            _reason(e.reason),
            e.rejection_reason,
            e.rejection_recommendation,
        )
        if p
    ]
    return " — ".join(parts) if parts else None


def apply_quality_update(
    session: Session, e: TemplateQualityUpdate, *, now: datetime
) -> list[Moved] | None:
    """A ``message_template_quality_update``: the quality moves (RED is what the campaigns
    wave's quality guard reacts to); None when no template matches."""
    ids = repository.matching(session, e.waba_id, e.template_id, e.template_name, e.language)
    if not ids:
        return None
    quality = parse_quality(e.new_quality)
    if quality is None:
        log.warning("template quality %r is not modelled", e.new_quality)
        return []
    moves: list[Moved] = []
    for template_id in ids:
        template = repository.get_any(session, template_id)
        moved = apply_transition(
            session,
            TEMPLATE_QUALITY,
            Template,
            template_id,
            event=quality_event(quality),
            target=quality,
            actor=WEBHOOK,
            reason=f"{e.previous_quality or '?'} → {quality.value}",
            values={"updated_at": now},
            data={**_data(template), "previous_quality": e.previous_quality},
            at=e.timestamp or now,
        )
        if moved.changed:
            moves.append(moved)
    return moves


def apply_category_update(
    session: Session, e: TemplateCategoryUpdate, *, now: datetime
) -> list[Moved] | None:
    """Two shapes: a 24 h notice (``correct_category`` differs from the current category, with
    the time it changes) is kept on the template and announced as an event; the change itself
    (``previous_category`` → ``new_category``, or a bare ``new_category`` that differs from
    ours) moves the category through its table (the moves are returned; None when no template
    matches)."""
    ids = repository.matching(session, e.waba_id, e.template_id, e.template_name, e.language)
    if not ids:
        return None
    at = e.timestamp or now
    moves: list[Moved] = []
    for template_id in ids:
        template = repository.get_any(session, template_id)
        if template is None:
            continue
        if e.announced:
            correct = parse_category(e.correct_category)
            if correct is None or template.pending_category == correct.value:
                continue
            repository.set_fields(
                session,
                template_id,
                {
                    "pending_category": correct.value,
                    "pending_category_at": e.category_update_at,
                    "updated_at": now,
                },
            )
            emit(
                session,
                workspace_id=template.workspace_id,
                type="template.category_change_announced",
                entity=TEMPLATE.entity,
                entity_id=template_id,
                data={
                    **_data(template),
                    "category": template.category,
                    "correct_category": correct.value,
                    "effective_at": e.category_update_at.isoformat()
                    if e.category_update_at
                    else None,
                },
                at=at,
            )
            continue
        new = parse_category(e.new_category)
        if new is None:
            log.warning("template category %r is not modelled", e.new_category)
            continue
        if template.category == new.value:
            if template.pending_category is not None:
                repository.set_fields(
                    session, template_id, {"pending_category": None, "pending_category_at": None}
                )
            continue
        previous = e.previous_category or template.category or "?"
        moves.append(
            _move_category(
                session,
                template_id,
                TemplateCategoryEvent.RECATEGORISED,
                new,
                WEBHOOK,
                at,
                f"{previous} → {new.value}",
            )
        )
    return moves


def apply_components_update(
    session: Session, e: TemplateComponentsUpdate, *, now: datetime
) -> list[Moved] | None:
    """The template was edited at Meta: the webhook carries texts, not the full components, so
    the account's catalogue is marked due and the scheduler's next sync reads them."""
    ids = repository.matching(session, e.waba_id, e.template_id, e.template_name, e.language)
    if not ids:
        return None
    repository.mark_due(session, e.waba_id)
    for template_id in ids:
        template = repository.get_any(session, template_id)
        if template is None:
            continue
        emit(
            session,
            workspace_id=template.workspace_id,
            type="template.components_changed",
            entity=TEMPLATE.entity,
            entity_id=template_id,
            data={**_data(template), "edit": e.raw},
            at=e.timestamp or now,
        )
    return []
