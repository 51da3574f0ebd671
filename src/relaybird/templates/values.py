"""One recipient's slot values: read them from the row through the mapping, and check each
against Meta's limits per component (pure; the next wave's importer calls ``check_row`` so a bad
value is an INVALID_RECORD naming the slot, never a failed send).

Limits (docs/reference/templates-pricing-consent.md §1 "Components and limits", §2, §5):
the body ≤ 1,024 characters and a text header ≤ 60 once filled ("hydrated": 132005), a URL ≤
2,000 characters with its suffix, a copy code ≤ 15 characters (the components page; the coupon
page says 20 — we keep the stricter), and no newline, tab or more than four consecutive spaces
in a text parameter (Meta refuses those with 132007, "format character policy"). Meta documents
no cap for one quick-reply payload; we hold it to 256 characters, the cap of an interactive reply
button's id (not confirmed for templates).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from relaybird.templates.mapping import (
    LocationSource,
    MediaSource,
    SlotMapping,
    SlotProblem,
    ValueSource,
)
from relaybird.templates.slots import MEDIA_FORMATS, PLACEHOLDER, HeaderFormat, TemplateSlots

BODY_MAX = 1024
HEADER_TEXT_MAX = 60
URL_MAX = 2000
COPY_CODE_MAX = 15
QUICK_REPLY_PAYLOAD_MAX = 256
FLOW_TOKEN_MAX = 2000
MEDIA_LINK_MAX = 2000

_BAD_FORMAT = re.compile(r"[\n\r\t]| {5,}")
_SPACE = re.compile(r"\s")
_CODE = re.compile(r"^[A-Za-z0-9]+$")


@dataclass(frozen=True)
class Media:
    kind: str  # image | video | document
    link: str | None = None
    media_id: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class Location:
    latitude: str
    longitude: str
    name: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class SlotValues:
    """What one recipient's send carries, slot by slot (before the wire shape)."""

    header_text: str | None = None
    media: Media | None = None
    location: Location | None = None
    body: dict[str, str] = field(default_factory=dict)
    buttons: dict[int, str] = field(default_factory=dict)  # index → value


class _Reader:
    """Reads slot values from one row, collecting every problem on the way."""

    def __init__(self, row: Mapping[str, str | None]) -> None:
        self.row = row
        self.problems: list[SlotProblem] = []

    def problem(self, slot: str, message: str) -> None:
        self.problems.append(SlotProblem(slot, message))

    def get(self, slot: str, source: ValueSource | None) -> str | None:
        if source is None:
            return None
        return self.cell(slot, source.column, source.value)

    def cell(self, slot: str, column: str | None, constant: str | None) -> str | None:
        raw = constant if column is None else self.row.get(column)
        value = (raw or "").strip()
        if not value:
            where = f"column {column!r} is empty" if column else "empty constant"
            self.problem(slot, f"empty value ({where})")
            return None
        return value

    def text(self, slot: str, source: ValueSource | None) -> str | None:
        value = self.get(slot, source)
        if value is not None and _BAD_FORMAT.search(value):
            self.problem(
                slot,
                "a parameter cannot contain newlines, tabs or more than 4 consecutive spaces "
                "(Meta refuses it: 132007)",
            )
        return value


def resolve(
    slots: TemplateSlots, mapping: SlotMapping, row: Mapping[str, str | None]
) -> tuple[SlotValues, list[SlotProblem]]:
    """Read every mapped slot's value from ``row`` (column → cell) and check it.

    Assumes ``check_mapping`` passed; a slot it did not map is simply absent here."""
    r = _Reader(row)
    header_text: str | None = None
    media: Media | None = None
    location: Location | None = None
    header = slots.header
    if header is not None and header.takes_value and mapping.header is not None:
        h = mapping.header
        if header.format == HeaderFormat.TEXT:
            header_text = r.text("header.text", h.text)
            if header_text is not None:
                length = _filled_length(header.text or "", {header.params[0].key: header_text})
                if length > HEADER_TEXT_MAX:
                    r.problem(
                        "header.text",
                        f"the header would be {length} characters with this value "
                        f"(max {HEADER_TEXT_MAX})",
                    )
        elif header.format in MEDIA_FORMATS:
            media = _media(r, header.kind, getattr(h, header.kind))
        elif header.format == HeaderFormat.LOCATION and h.location is not None:
            location = _location(r, h.location)

    body: dict[str, str] = {}
    for key in slots.body_keys:
        value = r.text(f"body.{key}", mapping.body.get(key))
        if value is not None:
            body[key] = value
    if body and len(body) == len(slots.body_keys):
        length = _filled_length(slots.body_text, body)
        if length > BODY_MAX:
            longest = max(body, key=lambda k: len(body[k]))
            r.problem(
                f"body.{longest}",
                f"the body would be {length} characters with these values "
                f"(max {BODY_MAX}); this is its longest value",
            )

    buttons: dict[int, str] = {}
    for b in mapping.buttons:
        slot = slots.button(b.index)
        if slot is None or slot.sub_type != b.sub_type:
            continue
        name = f"buttons[{b.index}].{b.sub_type}"
        value = r.cell(name, b.column, b.value)
        if value is None:
            continue
        if b.sub_type == "url":
            if _SPACE.search(value):
                r.problem(name, "a URL suffix cannot contain spaces")
            length = (
                _filled_length(slot.url or "", {slot.params[0].key: value})
                if slot.params
                else len(value)
            )
            if length > URL_MAX:
                r.problem(name, f"the URL would be {length} characters (max {URL_MAX})")
        elif b.sub_type == "copy_code":
            if len(value) > COPY_CODE_MAX:
                r.problem(name, f"{len(value)} characters (max {COPY_CODE_MAX})")
            if not _CODE.match(value):
                r.problem(name, "a code must be letters and digits only")
        elif b.sub_type == "quick_reply" and len(value) > QUICK_REPLY_PAYLOAD_MAX:
            r.problem(name, f"{len(value)} characters (max {QUICK_REPLY_PAYLOAD_MAX})")
        elif b.sub_type == "flow" and len(value) > FLOW_TOKEN_MAX:
            r.problem(name, f"{len(value)} characters (max {FLOW_TOKEN_MAX})")
        buttons[b.index] = value
    values = SlotValues(
        header_text=header_text, media=media, location=location, body=body, buttons=buttons
    )
    return values, r.problems


@lru_cache(maxsize=256)
def _shape(text: str) -> tuple[int, tuple[tuple[str, int], ...]]:
    """A text's length without its placeholders, and how often each key occurs: the filled
    length is then arithmetic, not a string built per recipient (the importer checks millions)."""
    keys = [m.group(1) for m in PLACEHOLDER.finditer(text)]
    return len(PLACEHOLDER.sub("", text)), tuple(Counter(keys).items())


def _filled_length(text: str, values: Mapping[str, str]) -> int:
    """``len(fill(text, values))`` without building the string."""
    static, counts = _shape(text)
    return static + sum(
        n * (len(values[k]) if k in values else len("{{" + k + "}}")) for k, n in counts
    )


def check_row(
    slots: TemplateSlots, mapping: SlotMapping, row: Mapping[str, str | None]
) -> list[SlotProblem]:
    """Every problem of one recipient's values; empty when the row can be sent."""
    return resolve(slots, mapping, row)[1]


@dataclass(frozen=True)
class RowCheck:
    """The import's check of one row's values against Meta's limits (picklable: it runs in the
    importer's worker processes, which import only this module and campaigns/phones.py)."""

    slots: TemplateSlots
    mapping: SlotMapping
    columns: tuple[str, ...]

    def reason(self, params: Sequence[str]) -> str | None:
        problems = check_row(
            self.slots, self.mapping, dict(zip(self.columns, params, strict=False))
        )
        return "; ".join(str(p) for p in problems) or None


def _media(r: _Reader, kind: str, source: MediaSource | None) -> Media | None:
    if source is None:
        return None
    name = f"header.{kind}"
    filename = source.filename if kind == "document" else None
    if source.media_id is not None:
        return Media(kind, media_id=source.media_id, filename=filename)
    link = source.link
    if source.column is not None:
        link = r.cell(name, source.column, None)
    if link is None:
        return None
    if not link.startswith(("https://", "http://")) or _SPACE.search(link):
        r.problem(name, "the link must be an http(s) URL without spaces")
    elif len(link) > MEDIA_LINK_MAX:
        r.problem(name, f"the link is {len(link)} characters (max {MEDIA_LINK_MAX})")
    return Media(kind, link=link, filename=filename)


def _location(r: _Reader, loc: LocationSource) -> Location | None:
    lat = r.get("header.location", loc.latitude)
    lon = r.get("header.location", loc.longitude)
    for value, bound, what in ((lat, 90.0, "latitude"), (lon, 180.0, "longitude")):
        if value is None:
            continue
        try:
            ok = -bound <= float(value) <= bound
        except ValueError:
            ok = False
        if not ok:
            r.problem("header.location", f"{what} {value!r} is not a number within ±{bound:g}")
    if lat is None or lon is None:
        return None
    name = r.get("header.location", loc.name) if loc.name else None
    address = r.get("header.location", loc.address) if loc.address else None
    return Location(lat, lon, name, address)
