"""(template, mapping, row) → the ``template`` object of a Cloud API send request (pure).

Exactly Meta's documented shape (docs/reference/templates-pricing-consent.md §2; the
fixtures ``send-template-*.json``): lower-case component ``type``; the header's one parameter
(text, or the media by ``link``/``id``, or a location); body parameters in placeholder order,
with ``parameter_name`` for named templates; one ``button`` component per button that takes a
value, carrying its template position as a string ``index`` and a lower-case ``sub_type``.
Buttons without a value (static URL, phone number, a quick reply without payload) get no
component. The dispatcher hands ``SendPlan.components`` to ``TemplateMessage.components``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from relaybird.templates.mapping import SlotMapping, SlotProblem
from relaybird.templates.slots import HeaderFormat, ParameterFormat, TemplateSlots
from relaybird.templates.values import SlotValues, resolve


class SlotValueError(ValueError):
    """The row cannot be sent: every problem, each naming its slot."""

    def __init__(self, problems: list[SlotProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def build_template(
    name: str,
    language: str,
    slots: TemplateSlots,
    mapping: SlotMapping,
    row: Mapping[str, str | None],
) -> dict[str, Any]:
    """The send request's ``template`` object for one recipient. Raises SlotValueError when a
    value breaks Meta's limits (the importer should have set that row aside already)."""
    values, problems = resolve(slots, mapping, row)
    if problems:
        raise SlotValueError(problems)
    return {
        "name": name,
        "language": {"code": language},
        "components": components(slots, values),
    }


def components(slots: TemplateSlots, values: SlotValues) -> list[dict[str, Any]]:
    named = slots.parameter_format == ParameterFormat.NAMED
    out: list[dict[str, Any]] = []
    header = slots.header
    if header is not None and header.takes_value:
        param: dict[str, Any] | None = None
        if header.format == HeaderFormat.TEXT and values.header_text is not None:
            param = _text(values.header_text, header.params[0].key if named else None)
        elif values.media is not None:
            media: dict[str, Any] = (
                {"id": values.media.media_id}
                if values.media.media_id is not None
                else {"link": values.media.link}
            )
            if values.media.filename:
                media["filename"] = values.media.filename
            param = {"type": values.media.kind, values.media.kind: media}
        elif values.location is not None:
            loc = values.location
            location = {"latitude": loc.latitude, "longitude": loc.longitude}
            if loc.name:
                location["name"] = loc.name
            if loc.address:
                location["address"] = loc.address
            param = {"type": "location", "location": location}
        if param is not None:
            out.append({"type": "header", "parameters": [param]})
    if slots.body:
        out.append(
            {
                "type": "body",
                "parameters": [
                    _text(values.body[s.key], s.key if named else None)
                    for s in slots.body
                    if s.key in values.body
                ],
            }
        )
    for button in slots.buttons:
        value = values.buttons.get(button.index)
        if value is None or button.sub_type is None:
            continue
        out.append(
            {
                "type": "button",
                "sub_type": button.sub_type,
                "index": str(button.index),
                "parameters": [_button_parameter(button.sub_type, value)],
            }
        )
    return out


def _text(value: str, name: str | None) -> dict[str, Any]:
    if name is None:
        return {"type": "text", "text": value}
    return {"type": "text", "parameter_name": name, "text": value}


def _button_parameter(sub_type: str, value: str) -> dict[str, Any]:
    if sub_type == "quick_reply":
        return {"type": "payload", "payload": value}
    if sub_type == "copy_code":
        return {"type": "coupon_code", "coupon_code": value}
    if sub_type == "flow":
        return {"type": "action", "action": {"flow_token": value}}
    return {"type": "text", "text": value}


@dataclass(frozen=True)
class SendPlan:
    """How one campaign's recipients become sends: its template's slots and mapping, and the
    upload columns each recipient's stored ``params`` hold, in that order."""

    name: str
    language: str
    slots: TemplateSlots
    mapping: SlotMapping
    columns: tuple[str, ...]

    def row(self, params: Sequence[str]) -> dict[str, str | None]:
        return dict(zip(self.columns, params, strict=False))

    def components(self, params: Sequence[str]) -> tuple[dict[str, Any], ...]:
        """The send's ``template.components`` for one recipient (SlotValueError: a value the
        import should have refused, e.g. the template changed at Meta since)."""
        built = build_template(self.name, self.language, self.slots, self.mapping, self.row(params))
        return tuple(built["components"])
