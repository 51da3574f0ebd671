"""Webhook body → typed events. Every element of entry[], changes[], statuses[], messages[] and
user_preferences[] becomes one event (Meta batches up to 1,000 updates in one POST; reading only
the first silently loses the rest).

Tolerant by design: a field of the wrong type, a missing key or a kind we do not model yields an
``Unknown`` event with a reason, never an exception, so one odd change cannot block the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from relaybird.providers.whatsapp.events import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    InboundMessage,
    MessageStatus,
    PhoneNumberQualityUpdate,
    Pricing,
    TemplateCategoryUpdate,
    TemplateComponentsUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    Unknown,
    UserPreferences,
    ValueErrors,
    WebhookError,
    WhatsAppEvent,
)


class MalformedBody(ValueError):
    """Not a JSON object: the receiver answers 400 and stores nothing."""


def parse_body(raw: bytes) -> list[WhatsAppEvent]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"not JSON: {exc}") from None
    except RecursionError:
        raise MalformedBody("JSON nested too deeply") from None
    if not isinstance(body, dict):
        raise MalformedBody("the body is not a JSON object")
    return parse(body)


def parse(body: dict[str, Any]) -> list[WhatsAppEvent]:
    events: list[WhatsAppEvent] = []
    entries = body.get("entry")
    if body.get("object") != "whatsapp_business_account" or not isinstance(entries, list):
        return [
            Unknown(None, f"not a WhatsApp Business body (object={body.get('object')!r})", body)
        ]
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            events.append(Unknown(None, "entry without changes[]", entry))
            continue
        waba_id = str(entry.get("id", ""))
        at = _time(entry.get("time"))
        for change in entry["changes"]:
            events.extend(_change(waba_id, change, at))
    return events


def _change(waba_id: str, change: Any, at: datetime | None = None) -> Iterator[WhatsAppEvent]:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        yield Unknown(None, "change without a value object", change)
        return
    field, value = change.get("field"), change["value"]
    if isinstance(field, str) and field in _TEMPLATE_FIELDS:
        # Meta's own quality-update example is labelled message_template_status_update: a
        # template change is routed on the keys of its value, not only on ``field``.
        field = _template_field(str(field), value)
        try:
            yield from _TEMPLATE_PARSERS[field](waba_id, value, at)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            yield Unknown(field, f"unreadable {field}: {type(exc).__name__}: {exc}", change)
        return
    parser = _PARSERS.get(str(field))
    if parser is None:
        yield Unknown(str(field), f"unmodelled field {field!r}", change)
        return
    try:
        yield from parser(waba_id, value)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        yield Unknown(str(field), f"unreadable {field}: {type(exc).__name__}: {exc}", change)


# --- field "messages": statuses[], messages[], errors[] -------------------------------------


def _messages(_waba_id: str, value: dict[str, Any]) -> Iterator[WhatsAppEvent]:
    metadata = value.get("metadata") or {}
    pnid = _str(metadata.get("phone_number_id"))
    names = {
        str(c.get("wa_id")): _str((c.get("profile") or {}).get("name"))
        for c in value.get("contacts") or []
        if isinstance(c, dict)
    }
    for item in value.get("statuses") or []:
        yield _guard("messages.statuses", item, lambda s: _status(pnid, s))
    for item in value.get("messages") or []:
        yield _guard("messages.messages", item, lambda m: _inbound(pnid, m, names))
    if value.get("errors"):
        yield ValueErrors(pnid, _errors(value["errors"]), value)
    if not any(value.get(k) for k in ("statuses", "messages", "errors")):
        yield Unknown("messages", "messages change with nothing in it", value)


def _status(pnid: str | None, s: dict[str, Any]) -> MessageStatus:
    pricing = s.get("pricing")
    conversation = s.get("conversation")
    return MessageStatus(
        phone_number_id=pnid,
        wamid=str(s["id"]),
        status=str(s["status"]),
        recipient=_str(s.get("recipient_id")),
        timestamp=_time(s.get("timestamp")),
        callback_data=_str(s.get("biz_opaque_callback_data")),
        errors=_errors(s.get("errors") or []),
        pricing=Pricing(
            billable=pricing.get("billable"),
            pricing_model=_str(pricing.get("pricing_model")),
            type=_str(pricing.get("type")),
            category=_str(pricing.get("category")),
        )
        if isinstance(pricing, dict)
        else None,
        conversation_id=_str(conversation.get("id")) if isinstance(conversation, dict) else None,
        raw=s,
    )


def _inbound(pnid: str | None, m: dict[str, Any], names: dict[str, str | None]) -> InboundMessage:
    sender = str(m["from"])
    kind = str(m.get("type", "unknown"))
    text = button = None
    if kind == "text":
        text = _str((m.get("text") or {}).get("body"))
    elif kind == "system":
        text = _str((m.get("system") or {}).get("body"))
    elif kind == "button":
        # A template's quick-reply button: {"payload": ..., "text": label}.
        tapped = _dict(m.get("button"))
        text = _str(tapped.get("text"))
        button = _str(tapped.get("payload")) or text
    elif kind == "interactive":
        # An interactive message's reply button or list row: {"type": "button_reply",
        # "button_reply": {"id": ..., "title": label}} (list_reply alike).
        inner = _dict(m.get("interactive"))
        reply = inner.get("button_reply") or inner.get("list_reply")
        if isinstance(reply, dict):
            text = _str(reply.get("title"))
            button = _str(reply.get("id")) or text
    context = m.get("context")
    return InboundMessage(
        phone_number_id=pnid,
        wamid=str(m["id"]),
        sender=sender,
        timestamp=_time(m.get("timestamp")),
        type=kind,
        text=text,
        context_wamid=_str(context.get("id")) if isinstance(context, dict) else None,
        profile_name=names.get(sender),
        errors=_errors(m.get("errors") or []),
        button=button,
        raw=m,
    )


# --- account and number ------------------------------------------------------------------


def _account_update(waba_id: str, v: dict[str, Any]) -> Iterator[WhatsAppEvent]:
    restrictions = [r for r in v.get("restriction_info") or [] if isinstance(r, dict)]
    expirations = [_time(r.get("expiration")) for r in restrictions]
    yield AccountUpdate(
        waba_id=waba_id,
        event=str(v["event"]),
        phone_number=_str(v.get("phone_number")),
        ban_state=_str((v.get("ban_info") or {}).get("waba_ban_state")),
        restriction_types=tuple(str(r.get("restriction_type")) for r in restrictions),
        restriction_expires=max((e for e in expirations if e is not None), default=None),
        violation_type=_str((v.get("violation_info") or {}).get("violation_type")),
        raw=v,
    )


def _quality_update(waba_id: str, v: dict[str, Any]) -> Iterator[WhatsAppEvent]:
    yield PhoneNumberQualityUpdate(
        waba_id=waba_id,
        display_phone_number=_str(v.get("display_phone_number")),
        event=str(v["event"]),
        current_limit=_str(v.get("current_limit")),
        old_limit=_str(v.get("old_limit")),
        max_daily_conversations_per_business=_str(v.get("max_daily_conversations_per_business")),
        raw=v,
    )


def _capability_update(waba_id: str, v: dict[str, Any]) -> Iterator[WhatsAppEvent]:
    yield BusinessCapabilityUpdate(
        waba_id=waba_id,
        max_daily_conversations_per_business=_str(v.get("max_daily_conversations_per_business")),
        max_daily_conversation_per_phone=_int(v.get("max_daily_conversation_per_phone")),
        max_phone_numbers_per_business=_int(v.get("max_phone_numbers_per_business")),
        raw=v,
    )


# --- templates and users -------------------------------------------------------------------


_TEMPLATE_FIELDS = frozenset(
    {
        "message_template_status_update",
        "message_template_quality_update",
        "template_category_update",
        "message_template_components_update",
    }
)


def _template_field(field: str, v: dict[str, Any]) -> str:
    if "new_quality_score" in v or "previous_quality_score" in v:
        return "message_template_quality_update"
    if "event" in v:
        return "message_template_status_update"
    if "new_category" in v or "previous_category" in v or "correct_category" in v:
        return "template_category_update"
    return field


def _template_status(
    waba_id: str, v: dict[str, Any], at: datetime | None
) -> Iterator[WhatsAppEvent]:
    other, rejection, disable = (
        _object(v.get("other_info")),
        _object(v.get("rejection_info")),
        _object(v.get("disable_info")),
    )
    yield TemplateStatusUpdate(
        waba_id=waba_id,
        event=str(v["event"]),
        template_id=_str(v.get("message_template_id")),
        template_name=_str(v.get("message_template_name")),
        language=_str(v.get("message_template_language")),
        reason=_str(v.get("reason")),
        category=_str(v.get("message_template_category")),
        info_title=_str(other.get("title")),
        info_description=_str(other.get("description")),
        rejection_reason=_str(rejection.get("reason")),
        rejection_recommendation=_str(rejection.get("recommendation")),
        # Meta's syntax quotes the timestamp, its table says Integer: _time reads both.
        disable_date=_time(disable.get("disable_date")),
        timestamp=at,
        raw=v,
    )


def _template_quality(
    waba_id: str, v: dict[str, Any], at: datetime | None
) -> Iterator[WhatsAppEvent]:
    yield TemplateQualityUpdate(
        waba_id=waba_id,
        template_id=_str(v.get("message_template_id")),
        template_name=_str(v.get("message_template_name")),
        language=_str(v.get("message_template_language")),
        previous_quality=_str(v.get("previous_quality_score")),
        new_quality=_str(v.get("new_quality_score")),
        timestamp=at,
        raw=v,
    )


def _template_category(
    waba_id: str, v: dict[str, Any], at: datetime | None
) -> Iterator[WhatsAppEvent]:
    yield TemplateCategoryUpdate(
        waba_id=waba_id,
        template_id=_str(v.get("message_template_id")),
        template_name=_str(v.get("message_template_name")),
        language=_str(v.get("message_template_language")),
        previous_category=_str(v.get("previous_category")),
        new_category=_str(v.get("new_category")),
        correct_category=_str(v.get("correct_category")),
        category_update_at=_time(v.get("category_update_timestamp")),
        timestamp=at,
        raw=v,
    )


def _template_components(
    waba_id: str, v: dict[str, Any], at: datetime | None
) -> Iterator[WhatsAppEvent]:
    yield TemplateComponentsUpdate(
        waba_id=waba_id,
        template_id=_str(v.get("message_template_id")),
        template_name=_str(v.get("message_template_name")),
        language=_str(v.get("message_template_language")),
        timestamp=at,
        raw=v,
    )


_TEMPLATE_PARSERS: dict[
    str, Callable[[str, dict[str, Any], datetime | None], Iterator[WhatsAppEvent]]
] = {
    "message_template_status_update": _template_status,
    "message_template_quality_update": _template_quality,
    "template_category_update": _template_category,
    "message_template_components_update": _template_components,
}


def _user_preferences(_waba_id: str, v: dict[str, Any]) -> Iterator[WhatsAppEvent]:
    pnid = _str((v.get("metadata") or {}).get("phone_number_id"))
    for item in v.get("user_preferences") or []:
        yield _guard(
            "user_preferences",
            item,
            lambda p: UserPreferences(
                phone_number_id=pnid,
                wa_id=str(p["wa_id"]),
                category=_str(p.get("category")),
                value=str(p["value"]),
                timestamp=_time(p.get("timestamp")),
                detail=_str(p.get("detail")),
                raw=p,
            ),
        )


_PARSERS: dict[str, Callable[[str, dict[str, Any]], Iterator[WhatsAppEvent]]] = {
    "messages": _messages,
    "account_update": _account_update,
    "phone_number_quality_update": _quality_update,
    "business_capability_update": _capability_update,
    "user_preferences": _user_preferences,
}


# --- helpers ---------------------------------------------------------------------------------


def _guard(
    field: str, item: Any, build: Callable[[dict[str, Any]], WhatsAppEvent]
) -> WhatsAppEvent:
    """One array element → one event; a bad element becomes Unknown, its siblings still parse."""
    if not isinstance(item, dict):
        return Unknown(field, "element is not an object", item)
    try:
        return build(item)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return Unknown(field, f"unreadable element: {type(exc).__name__}: {exc}", item)


def _errors(items: Any) -> tuple[WebhookError, ...]:
    out = []
    for e in items if isinstance(items, list) else []:
        if isinstance(e, dict):
            out.append(
                WebhookError(
                    code=_int(e.get("code")),
                    title=_str(e.get("title") or e.get("message")),
                    details=_str((e.get("error_data") or {}).get("details")),
                )
            )
    return tuple(out)


def _time(value: Any) -> datetime | None:
    """Unix seconds, as Meta sends them (a string in statuses, an int elsewhere)."""
    number = _int(value)
    return None if number is None else datetime.fromtimestamp(number, UTC)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
