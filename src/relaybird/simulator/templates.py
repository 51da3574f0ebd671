"""The simulator's template catalogue per WhatsApp Business Account and Meta's checks of a
template send against it.

Every account starts with ``template_seed.SEED``. A send names a template by name and language;
Meta refuses it when the variant does not exist or is not approved (132001), is paused (132015)
or disabled (132016), when the parameters are not the template's format (132012: named vs
positional, a media header missing or of another type), when a component's parameter count
differs (132000), when a required button value is missing (131008), when a text parameter
breaks the format character policy (132007: newline, tab, more than four spaces) and when the
filled-in text is too long (132005: body 1,024, text header 60). Error wording follows
tests/data/whatsapp-templates/error-*.json; key on the code, never on the text.

This module reads placeholders itself rather than through the engine's ``templates.slots``: the
simulator plays Meta, and a check shared with the engine could not catch the engine's mistakes.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from relaybird.providers.whatsapp import wire
from relaybird.simulator.numbers import Refusal
from relaybird.simulator.template_seed import SEED

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_POLICY = re.compile(r"[\n\r\t]| {5,}")
_MEDIA = ("IMAGE", "VIDEO", "DOCUMENT")
# Button types whose send carries a parameter (URL only with a variable), and their sub_type.
_SUB_TYPES = {
    "URL": "url",
    "OTP": "url",
    "QUICK_REPLY": "quick_reply",
    "COPY_CODE": "copy_code",
    "FLOW": "flow",
    "CATALOG": "catalog",
    "MPM": "mpm",
}
_PARAM_TYPES = {
    "url": "text",
    "quick_reply": "payload",
    "copy_code": "coupon_code",
    "flow": "action",
    "catalog": "action",
    "mpm": "action",
}
# Default fields of GET message_templates without ``fields=`` (Meta's template-management page).
DEFAULT_FIELDS = (
    "name",
    "parameter_format",
    "components",
    "language",
    "status",
    "category",
    "sub_category",
    "id",
)
BODY_MAX = 1024
HEADER_MAX = 60
# How long Meta pauses a template: 3 h the first time, 6 h the second; the third is DISABLED.
PAUSES = (timedelta(hours=3), timedelta(hours=6))


@dataclass
class SimTemplate:
    id: str
    waba_id: str
    name: str
    language: str
    category: str
    status: str
    parameter_format: str
    components: list[dict[str, Any]]
    quality: str = "GREEN"
    quality_date: int = 0
    rejected_reason: str = "NONE"
    sub_category: str | None = None
    pauses: int = 0
    paused_until: datetime | None = None

    def item(self, fields: Iterable[str]) -> dict[str, Any]:
        """The Graph list item with the requested fields (``id`` always)."""
        values: dict[str, Any] = {
            "name": self.name,
            "parameter_format": self.parameter_format,
            "components": copy.deepcopy(self.components),
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "sub_category": self.sub_category,
            "quality_score": {"score": self.quality, "date": self.quality_date},
            "rejected_reason": self.rejected_reason,
            "id": self.id,
        }
        wanted = [f for f in fields if f in values and values[f] is not None]
        return {f: values[f] for f in [*wanted, *(["id"] if "id" not in wanted else [])]}

    def component(self, kind: str) -> dict[str, Any] | None:
        return next((c for c in self.components if str(c.get("type", "")).upper() == kind), None)

    def buttons(self) -> list[dict[str, Any]]:
        comp = self.component("BUTTONS")
        return list(comp.get("buttons") or []) if comp else []


def template_id(waba_id: str, name: str, language: str) -> str:
    """A stable 15-digit id per (account, name, language), like Meta's numeric ids."""
    digest = hashlib.sha256(f"{waba_id}|{name}|{language}".encode()).digest()
    return str(10**14 + int.from_bytes(digest[:8], "big") % (9 * 10**14))


@dataclass
class Catalogues:
    """Every account's templates, created with the seed on first use."""

    by_waba: dict[str, list[SimTemplate]] = field(default_factory=dict)
    by_id: dict[str, SimTemplate] = field(default_factory=dict)

    def of(self, waba_id: str) -> list[SimTemplate]:
        if waba_id not in self.by_waba:
            self.by_waba[waba_id] = []
            for item in SEED:
                self.put(waba_id, copy.deepcopy(item))
        return self.by_waba[waba_id]

    def put(self, waba_id: str, item: dict[str, Any]) -> SimTemplate:
        """Add or replace a (name, language) variant, from Graph's shape plus ``quality``."""
        name, language = str(item["name"]), str(item["language"])
        template = SimTemplate(
            id=str(item.get("id") or template_id(waba_id, name, language)),
            waba_id=waba_id,
            name=name,
            language=language,
            category=str(item.get("category", "MARKETING")).upper(),
            status=str(item.get("status", "APPROVED")).upper(),
            parameter_format=str(item.get("parameter_format", "POSITIONAL")).upper(),
            components=list(item.get("components") or []),
            quality=str(item.get("quality", "UNKNOWN")).upper(),
            rejected_reason=str(item.get("rejected_reason", "NONE")),
            sub_category=item.get("sub_category"),
        )
        templates = self.by_waba.setdefault(waba_id, [])
        templates[:] = [t for t in templates if (t.name, t.language) != (name, language)]
        templates.append(template)
        self.by_id[template.id] = template
        return template

    def remove(self, template: SimTemplate) -> None:
        self.by_waba[template.waba_id] = [
            t for t in self.by_waba.get(template.waba_id, []) if t is not template
        ]

    def find(self, waba_id: str, name: str, language: str) -> tuple[bool, SimTemplate | None]:
        """(the name exists in the account, the variant in that language)."""
        named = [t for t in self.of(waba_id) if t.name == name]
        return bool(named), next((t for t in named if t.language == language), None)


# --- the list API (GET /{version}/{waba-id}/message_templates) -----------------------------------


def list_page(
    templates: list[SimTemplate],
    *,
    base_url: str,
    query: dict[str, str],
    page_max: int,
) -> dict[str, Any]:
    """One page as Graph answers it: ``data`` with the requested fields, ``paging.cursors``,
    ``next`` only when more follow and ``previous`` when some precede. Cursors are opaque
    (base64 of the offset); a bad one answers 100 like Graph."""
    fields = [f.strip() for f in query.get("fields", "").split(",") if f.strip()] or list(
        DEFAULT_FIELDS
    )
    selected = [t for t in templates if t.status != "DELETED"]
    if query.get("status"):
        selected = [t for t in selected if t.status == query["status"].upper()]
    if query.get("name"):
        selected = [t for t in selected if query["name"].lower() in t.name]
    if query.get("language"):
        selected = [t for t in selected if t.language == query["language"]]
    if query.get("category"):
        selected = [t for t in selected if t.category == query["category"].upper()]
    try:
        limit = max(1, min(int(query.get("limit", "25")), page_max))
    except ValueError:
        raise BadCursor("limit must be an integer") from None
    start = _offset(query["after"], "after") if query.get("after") else 0
    if query.get("before"):
        end = _offset(query["before"], "before")
        start = max(0, end - limit)
    chunk = selected[start : start + limit]
    body: dict[str, Any] = {"data": [t.item(fields) for t in chunk]}
    if chunk:
        paging: dict[str, Any] = {
            "cursors": {
                "before": _cursor("before", start),
                "after": _cursor("after", start + len(chunk)),
            }
        }
        params = {k: v for k, v in query.items() if k not in ("after", "before")}
        if start + len(chunk) < len(selected):
            paging["next"] = _link(base_url, {**params, "after": paging["cursors"]["after"]})
        if start > 0:
            paging["previous"] = _link(base_url, {**params, "before": paging["cursors"]["before"]})
        body["paging"] = paging
    return body


class BadCursor(ValueError):
    pass


def _cursor(kind: str, offset: int) -> str:
    return base64.b64encode(f"SIM_{kind.upper()}_{offset}".encode()).decode()


def _offset(cursor: str, kind: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        prefix, _, number = text.rpartition("_")
        if prefix != f"SIM_{kind.upper()}":
            raise ValueError(text)
        return max(0, int(number))
    except ValueError:
        raise BadCursor(f"invalid {kind} cursor") from None


def _link(base_url: str, params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return f"{base_url}?{urlencode(params)}"


# --- Meta's checks of a template send ------------------------------------------------------------


def check_send(
    catalogues: Catalogues,
    waba_id: str,
    template: wire.Template,
    *,
    strict: bool,
    media_ids: dict[str, str],
) -> Refusal | None:
    """Refuse a template send as Meta would; None accepts it. ``strict`` False lets a name the
    account does not have pass unchecked (see SimConfig.template_catalogue)."""
    name, language = template.name, template.language.code
    known, found = catalogues.find(waba_id, name, language)
    if found is None:
        if not known and not strict:
            return None
        return _not_found(name, language)
    if found.status == "PAUSED":
        return Refusal(
            132015,
            "Template is paused due to low quality so it cannot be sent in a template message.",
        )
    if found.status == "DISABLED":
        return Refusal(
            132016,
            "Template has been paused too many times due to low quality and is now "
            "permanently disabled.",
        )
    if found.status != "APPROVED":
        return _not_found(name, language)
    return _check_components(found, template.components, media_ids)


def _not_found(name: str, language: str) -> Refusal:
    return Refusal(
        132001,
        "Template name does not exist in the translation",
        f"template name ({name}) does not exist in {language}",
    )


def _mismatch(where: str, expected: str, received: str) -> Refusal:
    return Refusal(
        132012,
        "Parameter format does not match format in the created template",
        f"{where}: Format mismatch, expected {expected}, received {received}",
    )


def _count(where: str, got: int, expected: int) -> Refusal:
    return Refusal(
        132000,
        "Number of parameters does not match the expected number of params",
        f"{where}: number of localizable_params ({got}) does not match the expected number "
        f"of params ({expected})",
    )


def _invalid(details: str) -> Refusal:
    return Refusal(131009, "Parameter value is not valid", details)


def _keys(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(text)))


def _check_components(
    t: SimTemplate, components: list[wire.Component], media_ids: dict[str, str]
) -> Refusal | None:
    sent: dict[str, wire.Component] = {}
    buttons: dict[int, wire.Component] = {}
    for c in components:
        kind = c.type.lower()
        if kind == "button":
            try:
                index = int(str(c.index))
            except ValueError:
                return _invalid(f"button: index {c.index!r} is not a number")
            buttons[index] = c
        elif kind in ("header", "body"):
            if kind in sent:
                return _invalid(f"{kind}: sent twice")
            sent[kind] = c
        else:
            return _invalid(f"unknown component type {c.type!r}")
    named = t.parameter_format == "NAMED"
    texts: list[tuple[str, str]] = []  # (where, value) of every text parameter, for 132007
    hydrated: dict[str, str] = {}

    header = t.component("HEADER")
    header_sent = sent.get("header")
    fmt = str(header.get("format", "TEXT")).upper() if header else None
    if fmt in (*_MEDIA, "LOCATION"):
        got = (
            header_sent.parameters[0].type.upper()
            if header_sent and header_sent.parameters
            else "UNKNOWN"
        )
        if got != fmt:
            return _mismatch("header", fmt or "", got)
        if fmt in _MEDIA:
            assert header_sent is not None
            media = (header_sent.parameters[0].model_extra or {}).get(fmt.lower())
            if not isinstance(media, dict) or not (media.get("link") or media.get("id")):
                return _invalid(f"header: {fmt.lower()} needs a link or an id")
            if media.get("id") and media_ids.get(str(media["id"])) != fmt.lower():
                return Refusal(
                    131053,
                    "Media upload error",
                    f"header: media id {media['id']} is not a {fmt.lower()} uploaded here",
                )
    else:
        keys = _keys(str(header.get("text") or "")) if header else []
        params = header_sent.parameters if header_sent else []
        if len(params) != len(keys):
            return _count("header", len(params), len(keys))
        if keys:
            refusal = _format("header", params, named)
            if refusal is not None:
                return refusal
            value = params[0].text or ""
            texts.append(("header", value))
            text = str(header.get("text") or "") if header else ""
            hydrated["header"] = _PLACEHOLDER.sub(lambda _m: value, text, count=1)

    body = t.component("BODY")
    body_text = str(body.get("text") or "") if body else ""
    keys = _keys(body_text)
    params = sent["body"].parameters if "body" in sent else []
    refusal = _format("body", params, named)
    if refusal is not None:
        return refusal
    if len(params) != len(keys):
        return _count("body", len(params), len(keys))
    if named:
        names = [p.parameter_name for p in params]
        if sorted(n or "" for n in names) != sorted(keys):
            return _count("body", len([n for n in names if n in keys]), len(keys))
        values = {p.parameter_name or "": _value(p) for p in params}
    else:
        ordered = sorted(keys, key=lambda k: int(k) if k.isdigit() else 0)
        values = {k: _value(p) for k, p in zip(ordered, params, strict=True)}
    texts += [("body", p.text or "") for p in params if p.type == "text"]
    hydrated["body"] = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body_text)

    template_buttons = t.buttons()
    for index, c in sorted(buttons.items()):
        if index >= len(template_buttons):
            return _invalid(f"button: no button at index {index}")
        b = template_buttons[index]
        kind = str(b.get("type", "")).upper()
        sub_type = _SUB_TYPES.get(kind)
        if kind == "URL" and not _keys(str(b.get("url") or "")):
            sub_type = None
        if sub_type is None:
            return _invalid(f"button at index {index} ({kind}) takes no parameter")
        if (c.sub_type or "").lower() != sub_type:
            return _invalid(f"button at index {index} is {sub_type}, not {c.sub_type}")
        if len(c.parameters) != 1:
            return _count(f"button at index {index}", len(c.parameters), 1)
        if c.parameters[0].type != _PARAM_TYPES[sub_type]:
            return _invalid(
                f"button at index {index}: parameter type {c.parameters[0].type}, "
                f"expected {_PARAM_TYPES[sub_type]}"
            )
    for index, b in enumerate(template_buttons):
        kind = str(b.get("type", "")).upper()
        needs = kind in ("OTP", "COPY_CODE") or (kind == "URL" and _keys(str(b.get("url") or "")))
        if needs and index not in buttons:
            return Refusal(
                131008,
                "Required parameter is missing",
                f"buttons: Parameter value for {kind} was expected but was not found "
                f"(index {index})",
            )
    for where, value in texts:
        if _POLICY.search(value):
            return Refusal(
                132007,
                "Template Format Character Policy Violated",
                f"{where}: Param text cannot have new-line/tab characters or more than 4 "
                "consecutive spaces",
            )
    if len(hydrated.get("body", "")) > BODY_MAX:
        return Refusal(
            132005, "Translated text too long", f"body: {len(hydrated['body'])} characters"
        )
    if len(hydrated.get("header", "")) > HEADER_MAX:
        return Refusal(
            132005, "Translated text too long", f"header: {len(hydrated['header'])} characters"
        )
    return None


def _format(where: str, params: list[wire.Parameter], named: bool) -> Refusal | None:
    for p in params:
        if p.type == "text" and (p.parameter_name is not None) != named:
            return _mismatch(
                where,
                "NAMED" if named else "POSITIONAL",
                "POSITIONAL" if named else "NAMED",
            )
    return None


def _value(p: wire.Parameter) -> str:
    """A body parameter's displayed text (currency and date_time show their fallback)."""
    if p.type == "text":
        return p.text or ""
    extra = p.model_extra or {}
    obj = extra.get(p.type)
    if isinstance(obj, dict):
        return str(obj.get("fallback_value", ""))
    return ""


# --- webhooks the control plane sends ------------------------------------------------------------


def status_value(
    t: SimTemplate,
    event: str,
    *,
    reason: str | None = "NONE",
    title: str | None = None,
    description: str | None = None,
    disable_date: int | None = None,
    rejection: dict[str, str] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "event": event,
        "message_template_id": int(t.id),
        "message_template_name": t.name,
        "message_template_language": t.language,
        "reason": reason,
        "message_template_category": t.category,
    }
    if title is not None:
        value["other_info"] = {"title": title, "description": description or ""}
    if disable_date is not None:
        value["disable_info"] = {"disable_date": disable_date}
    if rejection:
        value["rejection_info"] = rejection
    return value


def quality_value(t: SimTemplate, previous: str) -> dict[str, Any]:
    return {
        "previous_quality_score": previous,
        "new_quality_score": t.quality,
        "message_template_id": int(t.id),
        "message_template_name": t.name,
        "message_template_language": t.language,
    }


def category_value(
    t: SimTemplate, *, previous: str | None, correct: str | None = None, at: int | None = None
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "message_template_id": int(t.id),
        "message_template_name": t.name,
        "message_template_language": t.language,
    }
    if correct is not None:
        # The 24 h notice: new_category is the category it has now (Meta's reference).
        value.update(
            new_category=t.category, correct_category=correct, category_update_timestamp=at
        )
    else:
        value.update(previous_category=previous, new_category=t.category)
    return value


def pause_description(until: datetime, hours: int, first: bool) -> str:
    stamp = until.strftime("%b %d at %I:%M %p UTC").replace(" 0", " ")
    tail = "" if first else " because it continued to have issues"
    return f"Your WhatsApp message template has been paused for {hours} hours until {stamp}{tail}."
