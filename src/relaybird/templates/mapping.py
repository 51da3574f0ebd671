"""How a campaign fills a template's slots, and the check of that mapping against the slots
(pure; ``POST /campaigns`` validates with ``check_mapping``: campaigns/templating.py).

    {"body": {"1": {"column": "first_name"}, "2": {"value": "25%"}},
     "header": {"image": {"link": "https://example.com/a.jpg"}},
     "buttons": [{"index": 1, "sub_type": "url", "column": "coupon"}]}

Each value comes from an upload ``column`` or is a constant ``value``; named templates key the
body by parameter name (``{"first_name": {...}}``). A media header takes a public ``link`` or
an uploaded ``media_id`` (``POST /api/v1/senders/{id}/media``). Every problem names its slot,
and all problems are returned at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from relaybird.templates.slots import MEDIA_FORMATS, HeaderFormat, TemplateSlots


@dataclass(frozen=True)
class SlotProblem:
    slot: str  # "body.1", "header.image", "buttons[1].url", "template"
    message: str

    def __str__(self) -> str:
        return f"{self.slot}: {self.message}"


def as_errors(problems: list[SlotProblem], prefix: str = "mapping") -> list[dict[str, object]]:
    """Problems in the shape of the API's 422 ``errors`` list (``InvalidInput(..., errors=)``)."""
    return [
        {"loc": [prefix, p.slot], "msg": p.message, "type": "template_slot", "slot": p.slot}
        for p in problems
    ]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ValueSource(_Strict):
    """A value from an upload column, or a constant."""

    column: str | None = Field(
        default=None, min_length=1, max_length=200, description="Upload column feeding the value."
    )
    value: str | None = Field(
        default=None, max_length=2000, description="A constant, the same for every recipient."
    )

    @model_validator(mode="after")
    def _one(self) -> ValueSource:
        if (self.column is None) == (self.value is None):
            raise ValueError("give exactly one of `column` or `value`")
        return self


class MediaSource(_Strict):
    """A header image/video/document: a public https link, or a media id from an upload."""

    link: str | None = Field(default=None, max_length=2000, description="Public http(s) URL.")
    media_id: str | None = Field(
        default=None,
        max_length=64,
        description="Meta's media id (from POST /api/v1/senders/{id}/media).",
    )
    column: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="An upload column holding a link per recipient.",
    )
    filename: str | None = Field(
        default=None, max_length=240, description="Documents: the file name shown to the user."
    )


class LocationSource(_Strict):
    latitude: ValueSource
    longitude: ValueSource
    name: ValueSource | None = None
    address: ValueSource | None = None


class HeaderMapping(_Strict):
    text: ValueSource | None = None
    image: MediaSource | None = None
    video: MediaSource | None = None
    document: MediaSource | None = None
    location: LocationSource | None = None

    def given(self) -> list[str]:
        return [k for k in ("text", "image", "video", "document", "location") if getattr(self, k)]


class ButtonMapping(_Strict):
    index: int = Field(ge=0, le=9, description="The button's position in the template (0-based).")
    sub_type: Literal["url", "quick_reply", "copy_code", "flow"] = Field(
        description="url: the dynamic URL suffix; quick_reply: the payload echoed back when "
        "tapped; copy_code: the code to copy; flow: the flow token."
    )
    column: str | None = Field(default=None, min_length=1, max_length=200)
    value: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one(self) -> ButtonMapping:
        if (self.column is None) == (self.value is None):
            raise ValueError("give exactly one of `column` or `value`")
        return self

    @property
    def source(self) -> ValueSource:
        return ValueSource(column=self.column, value=self.value)


class SlotMapping(_Strict):
    """Which upload column (or constant) fills each slot of the template."""

    body: dict[str, ValueSource] = Field(
        default_factory=dict,
        description='Body parameters by key: "1", "2", ... (positional) or the parameter name.',
    )
    header: HeaderMapping | None = None
    buttons: list[ButtonMapping] = Field(default_factory=list, max_length=10)

    def columns(self) -> set[str]:
        """Every upload column the mapping reads."""
        sources: list[ValueSource | MediaSource | None] = [*self.body.values()]
        sources += [b.source for b in self.buttons]
        if self.header is not None:
            h = self.header
            sources += [h.text, h.image, h.video, h.document]
            if h.location is not None:
                loc = h.location
                sources += [loc.latitude, loc.longitude, loc.name, loc.address]
        return {s.column for s in sources if s is not None and s.column is not None}


def check_mapping(
    slots: TemplateSlots, mapping: SlotMapping, columns: Collection[str] | None = None
) -> list[SlotProblem]:
    """Every problem of ``mapping`` against ``slots`` (and the upload's ``columns`` when known):
    a slot left unmapped, a mapping for a slot the template does not have, a media header
    without a link or media id, a column the upload does not have."""
    problems: list[SlotProblem] = []
    for name in slots.unsupported:
        problems.append(SlotProblem("template", f"{name} components are not supported yet"))
    problems += _check_header(slots, mapping)
    problems += _check_body(slots, mapping)
    problems += _check_buttons(slots, mapping)
    if columns is not None:
        known = set(columns)
        for column in sorted(mapping.columns() - known):
            slot = slot_of_column(mapping, column)
            problems.append(SlotProblem(slot, f"the upload has no column {column!r}"))
    return problems


def _check_header(slots: TemplateSlots, mapping: SlotMapping) -> list[SlotProblem]:
    header, given = slots.header, (mapping.header.given() if mapping.header else [])
    if header is None or not header.takes_value:
        return [SlotProblem(f"header.{k}", "the template's header takes no value") for k in given]
    kind = header.kind
    problems = [
        SlotProblem(f"header.{k}", f"the template's header is {header.format.value}, not {k}")
        for k in given
        if k != kind
    ]
    if kind not in given:
        what = {
            HeaderFormat.TEXT: "a value for its parameter",
            HeaderFormat.LOCATION: "latitude and longitude",
        }.get(header.format, "a link or a media_id")
        problems.append(SlotProblem(f"header.{kind}", f"not mapped: the header needs {what}"))
        return problems
    assert mapping.header is not None
    if header.format in MEDIA_FORMATS:
        media = getattr(mapping.header, kind)
        sources = [s for s in (media.link, media.media_id, media.column) if s is not None]
        if len(sources) != 1:
            problems.append(
                SlotProblem(
                    f"header.{kind}",
                    "give exactly one of link, media_id or column"
                    if sources
                    else "a media header needs a link or a media_id",
                )
            )
        elif media.link is not None and not media.link.startswith(("https://", "http://")):
            problems.append(SlotProblem(f"header.{kind}", "the link must be an http(s) URL"))
    return problems


def _check_body(slots: TemplateSlots, mapping: SlotMapping) -> list[SlotProblem]:
    keys = slots.body_keys
    problems = [
        SlotProblem(f"body.{k}", "not mapped: give a column or a value")
        for k in keys
        if k not in mapping.body
    ]
    for k in mapping.body:
        if k not in keys:
            expected = ", ".join(keys) if keys else "none"
            problems.append(
                SlotProblem(f"body.{k}", f"the template's body has no such parameter ({expected})")
            )
    return problems


def _check_buttons(slots: TemplateSlots, mapping: SlotMapping) -> list[SlotProblem]:
    problems: list[SlotProblem] = []
    seen: set[int] = set()
    for b in mapping.buttons:
        name = f"buttons[{b.index}].{b.sub_type}"
        if b.index in seen:
            problems.append(SlotProblem(name, "mapped twice"))
            continue
        seen.add(b.index)
        slot = slots.button(b.index)
        if slot is None:
            problems.append(SlotProblem(name, "the template has no button at this index"))
        elif not slot.takes_value:
            problems.append(SlotProblem(name, f"the {slot.type} button takes no value (static)"))
        elif slot.sub_type != b.sub_type:
            problems.append(
                SlotProblem(
                    name, f"the button at index {b.index} is {slot.sub_type}, not {b.sub_type}"
                )
            )
    for slot in slots.value_buttons:
        if slot.index in seen:
            continue
        if slot.sub_type in ("catalog", "mpm"):
            if slot.sub_type == "mpm":
                problems.append(
                    SlotProblem(
                        f"buttons[{slot.index}].mpm", "multi-product buttons are not supported yet"
                    )
                )
        elif slot.required:
            problems.append(
                SlotProblem(
                    f"buttons[{slot.index}].{slot.sub_type}",
                    "not mapped: the "
                    + (
                        "URL needs its suffix"
                        if slot.sub_type == "url"
                        else "button needs its code"
                    ),
                )
            )
    return problems


def slot_of_column(mapping: SlotMapping, column: str) -> str:
    """The slot an upload column fills (the first, when it fills several)."""
    for key, source in mapping.body.items():
        if source.column == column:
            return f"body.{key}"
    for b in mapping.buttons:
        if b.column == column:
            return f"buttons[{b.index}].{b.sub_type}"
    if mapping.header is not None:
        for kind in mapping.header.given():
            part = getattr(mapping.header, kind)
            if kind == "location":
                if column in {
                    s.column for s in (part.latitude, part.longitude, part.name, part.address) if s
                }:
                    return "header.location"
            elif getattr(part, "column", None) == column:
                return f"header.{kind}"
    return "mapping"


_PAIR = re.compile(
    r"^(?:body\.(?P<body>[A-Za-z0-9_]+)"
    r"|header\.(?P<header>text|image|video|document|location)(?:\.(?P<part>[a-z]+))?"
    r"|buttons?\[?\.?(?P<index>\d)\]?\.(?P<sub>url|quick_reply|copy_code|flow))"
    r"=(?P<kind>column|value|link|media_id|filename):(?P<what>.*)$",
    re.DOTALL,
)
PAIR_HELP = (
    "SLOT=SOURCE:WHAT, e.g. body.1=column:first_name, body.2=value:25%, "
    "body.first_name=column:name (named), header.image=link:https://..., "
    "header.image=media_id:123, header.document=filename:invoice.pdf, header.text=column:city, "
    "header.location.latitude=value:52.5, buttons[0].url=column:coupon, "
    "buttons[1].quick_reply=value:STOP, buttons[1].copy_code=column:code"
)


def from_pairs(pairs: list[str]) -> dict[str, Any]:
    """``SLOT=SOURCE:WHAT`` pairs (the CLI's --map) → the mapping's JSON (validate it with
    ``SlotMapping.model_validate``). ValueError names the pair it cannot read."""
    out: dict[str, Any] = {}
    for pair in pairs:
        m = _PAIR.match(pair.strip())
        if m is None:
            raise ValueError(f"cannot read --map {pair!r}: write {PAIR_HELP}")
        kind, what = m["kind"], m["what"]
        if m["body"] is not None:
            _source(pair, kind, ("column", "value"))
            out.setdefault("body", {})[m["body"]] = {kind: what}
        elif m["header"] is not None:
            header = out.setdefault("header", {})
            if m["header"] == "location":
                if m["part"] not in ("latitude", "longitude", "name", "address"):
                    raise ValueError(f"--map {pair!r}: header.location.latitude|longitude|...")
                _source(pair, kind, ("column", "value"))
                header.setdefault("location", {})[m["part"]] = {kind: what}
            elif m["header"] == "text":
                _source(pair, kind, ("column", "value"))
                header["text"] = {kind: what}
            else:
                _source(pair, kind, ("column", "link", "media_id", "filename"))
                header.setdefault(m["header"], {})[kind] = what
        else:
            _source(pair, kind, ("column", "value"))
            out.setdefault("buttons", []).append(
                {"index": int(m["index"]), "sub_type": m["sub"], kind: what}
            )
    return out


def _source(pair: str, kind: str, allowed: tuple[str, ...]) -> None:
    if kind not in allowed:
        raise ValueError(f"--map {pair!r}: this slot takes {' or '.join(allowed)}, not {kind}")
