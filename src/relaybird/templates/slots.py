"""A template's parameter slots, read from its components as Meta returns them (pure).

A slot is a place a send must fill: the header (a text parameter, or the image / video /
document / location itself), each body placeholder (``{{1}}`` positional, ``{{first_name}}``
named), and each button that takes a value (a URL's dynamic suffix, a quick reply's payload, a
copy-code button's code, a flow's token). Static buttons (phone number, a URL without a
variable) are kept for display but take nothing. Meta's example values ride along for previews.

Shapes: docs/reference/templates-pricing-consent.md §1 ("Components and limits", read side:
``example.header_text``, ``example.body_text`` (one array of arrays), ``body_text_named_params``,
``header_handle`` (a CDN URL in reads), a URL button's ``example`` list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


class ParameterFormat(StrEnum):
    POSITIONAL = "POSITIONAL"
    NAMED = "NAMED"


class HeaderFormat(StrEnum):
    TEXT = "TEXT"
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    DOCUMENT = "DOCUMENT"
    LOCATION = "LOCATION"


MEDIA_FORMATS = frozenset({HeaderFormat.IMAGE, HeaderFormat.VIDEO, HeaderFormat.DOCUMENT})

# Button type (as Meta names it in the catalogue) → the send's ``sub_type``, for the buttons that
# take a parameter. A URL button takes one only when its URL has a variable.
BUTTON_SUB_TYPES: dict[str, str] = {
    "URL": "url",
    "QUICK_REPLY": "quick_reply",
    "COPY_CODE": "copy_code",
    "FLOW": "flow",
    "OTP": "url",  # one-tap/copy-code authentication buttons are sent as a url with the code
    "CATALOG": "catalog",
    "MPM": "mpm",
}
# Buttons that never take a parameter.
STATIC_BUTTONS = frozenset({"PHONE_NUMBER", "VOICE_CALL", "SEND_LOCATION"})


@dataclass(frozen=True)
class TextSlot:
    """One ``{{key}}``: ``"1"``, ``"2"``… (positional) or a name (named)."""

    key: str
    example: str | None = None


@dataclass(frozen=True)
class HeaderSlot:
    format: HeaderFormat
    text: str | None = None  # TEXT: the header text with its placeholder
    params: tuple[TextSlot, ...] = ()  # TEXT: zero or one parameter
    example: str | None = None  # media: Meta's example asset URL

    @property
    def takes_value(self) -> bool:
        """Media and location headers are always sent; a text header only with a parameter."""
        return self.format != HeaderFormat.TEXT or bool(self.params)

    @property
    def kind(self) -> str:
        """The mapping key for this header: text, image, video, document or location."""
        return self.format.value.lower()


@dataclass(frozen=True)
class ButtonSlot:
    index: int  # its position among the template's buttons (the send's ``index``)
    type: str  # Meta's button type: URL, QUICK_REPLY, COPY_CODE, FLOW, PHONE_NUMBER, ...
    text: str | None = None  # the label
    url: str | None = None
    phone_number: str | None = None
    params: tuple[TextSlot, ...] = ()  # URL: the dynamic suffix ({{1}} at the end)
    example: str | None = None

    @property
    def sub_type(self) -> str | None:
        """The send's ``sub_type``; None for a button that takes no parameter."""
        if self.type == "URL" and not self.params:
            return None
        return BUTTON_SUB_TYPES.get(self.type)

    @property
    def takes_value(self) -> bool:
        return self.sub_type is not None

    @property
    def required(self) -> bool:
        """A send must carry a value: the URL suffix, the code to copy. A quick reply's payload
        and a flow's token are optional (Meta sends the label / an unused token)."""
        return self.sub_type in ("url", "copy_code")


@dataclass(frozen=True)
class TemplateSlots:
    parameter_format: ParameterFormat
    header: HeaderSlot | None = None
    body_text: str = ""
    body: tuple[TextSlot, ...] = ()
    footer: str | None = None
    buttons: tuple[ButtonSlot, ...] = ()
    # Components we read but cannot fill (carousel, limited-time offer, ...): a campaign cannot
    # use such a template yet; the names say why.
    unsupported: tuple[str, ...] = field(default=())

    @property
    def body_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.body)

    def button(self, index: int) -> ButtonSlot | None:
        return next((b for b in self.buttons if b.index == index), None)

    @property
    def value_buttons(self) -> tuple[ButtonSlot, ...]:
        return tuple(b for b in self.buttons if b.takes_value)

    def names(self) -> list[str]:
        """Every slot, named the way problems name them: ``header.image``, ``header.text``,
        ``body.1`` / ``body.first_name``, ``buttons[1].url``."""
        out: list[str] = []
        if self.header is not None and self.header.takes_value:
            out.append(f"header.{self.header.kind}")
        out += [f"body.{k}" for k in self.body_keys]
        out += [f"buttons[{b.index}].{b.sub_type}" for b in self.value_buttons]
        return out


def placeholders(text: str | None) -> tuple[str, ...]:
    """The distinct ``{{key}}`` of a text, in order of first appearance."""
    return tuple(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text or "")))


def parse_components(
    components: Sequence[Mapping[str, Any]] | None, parameter_format: str | None = None
) -> TemplateSlots:
    """Components as Meta returns them (any case) → slots. Tolerant: a field of an unexpected
    shape is skipped, never an exception (the catalogue is Meta's data, not our input)."""
    fmt = _format(parameter_format)
    header: HeaderSlot | None = None
    body_text = ""
    body: tuple[TextSlot, ...] = ()
    footer: str | None = None
    buttons: tuple[ButtonSlot, ...] = ()
    unsupported: list[str] = []
    for comp in components or ():
        if not isinstance(comp, Mapping):
            continue
        kind = str(comp.get("type", "")).upper()
        example = _mapping(comp.get("example"))
        if kind == "HEADER":
            header = _header(comp, example)
        elif kind == "BODY":
            body_text = str(comp.get("text") or "")
            body = _text_slots(
                body_text,
                fmt,
                _first_row(example.get("body_text")),
                example.get("body_text_named_params"),
            )
        elif kind == "FOOTER":
            footer = _str(comp.get("text"))
        elif kind == "BUTTONS":
            raw = comp.get("buttons")
            buttons = tuple(
                _button(i, b) for i, b in enumerate(raw or ()) if isinstance(b, Mapping)
            )
        elif kind:
            unsupported.append(kind)
    return TemplateSlots(
        parameter_format=fmt,
        header=header,
        body_text=body_text,
        body=body,
        footer=footer,
        buttons=buttons,
        unsupported=tuple(unsupported),
    )


def _format(value: str | None) -> ParameterFormat:
    try:
        return ParameterFormat((value or "POSITIONAL").upper())
    except ValueError:
        return ParameterFormat.POSITIONAL


def _header(comp: Mapping[str, Any], example: Mapping[str, Any]) -> HeaderSlot | None:
    try:
        fmt = HeaderFormat(str(comp.get("format", "TEXT")).upper())
    except ValueError:
        return None
    if fmt == HeaderFormat.TEXT:
        text = str(comp.get("text") or "")
        named = example.get("header_text_named_params")
        return HeaderSlot(
            format=fmt,
            text=text,
            params=_text_slots(
                text, ParameterFormat.NAMED if named else None, example.get("header_text"), named
            ),
        )
    handles = example.get("header_handle")
    first = handles[0] if isinstance(handles, list) and handles else None
    return HeaderSlot(format=fmt, example=_str(first))


def _button(index: int, b: Mapping[str, Any]) -> ButtonSlot:
    kind = str(b.get("type", "")).upper()
    url = _str(b.get("url"))
    examples = b.get("example")
    example = examples[0] if isinstance(examples, list) and examples else _str(examples)
    params: tuple[TextSlot, ...] = ()
    if kind == "URL":
        params = tuple(TextSlot(k, _str(example)) for k in placeholders(url))
    return ButtonSlot(
        index=index,
        type=kind,
        text=_str(b.get("text")),
        url=url,
        phone_number=_str(b.get("phone_number")),
        params=params,
        example=_str(example),
    )


def _text_slots(
    text: str,
    fmt: ParameterFormat | None,
    positional_examples: Any,
    named_examples: Any,
) -> tuple[TextSlot, ...]:
    keys = placeholders(text)
    examples: dict[str, str] = {}
    if isinstance(named_examples, list):
        for item in named_examples:
            if isinstance(item, Mapping) and item.get("param_name") is not None:
                examples[str(item["param_name"])] = str(item.get("example", ""))
    if isinstance(positional_examples, list):
        # Positional examples are in placeholder order ({{1}} first).
        ordered = sorted((k for k in keys if k.isdigit()), key=int)
        examples.update({k: str(v) for k, v in zip(ordered, positional_examples, strict=False)})
    if fmt == ParameterFormat.POSITIONAL or (fmt is None and all(k.isdigit() for k in keys)):
        keys = tuple(sorted(keys, key=lambda k: int(k) if k.isdigit() else 10**9))
    return tuple(TextSlot(k, examples.get(k)) for k in keys)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first_row(value: Any) -> list[Any] | None:
    """``body_text`` is an array of one array (one example set); older reads have a flat list."""
    if isinstance(value, list) and value:
        return value[0] if isinstance(value[0], list) else value
    return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each ``{{key}}`` replaced by its value (unknown keys left as they are)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def describe(slots: TemplateSlots) -> Iterable[str]:
    """One line per slot (and per static button), for CLI output."""
    if not slots.names() and not slots.buttons and not slots.unsupported and slots.header is None:
        yield "no slots: the template takes no value"
    if slots.header is not None:
        h = slots.header
        if h.format == HeaderFormat.TEXT:
            yield f"header.text: {h.text!r}" + (
                f" ({{{{{h.params[0].key}}}}}, e.g. {h.params[0].example!r})" if h.params else ""
            )
        else:
            yield f"header.{h.kind}" + (f" (example {h.example})" if h.example else "")
    for s in slots.body:
        yield f"body.{s.key}" + (f" (e.g. {s.example!r})" if s.example else "")
    for b in slots.buttons:
        what = f"buttons[{b.index}] {b.type} {b.text or ''}".rstrip()
        if b.takes_value:
            what += f" → sub_type {b.sub_type}" + (" (required)" if b.required else " (optional)")
            if b.example:
                what += f", e.g. {b.example!r}"
        yield what
    for u in slots.unsupported:
        yield f"{u}: not supported by campaigns yet"
