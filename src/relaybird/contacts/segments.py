"""Segments: the workspace's contacts matching a filter (network, status, tags all/any/none,
attributes equal), read in id order a batch at a time.

Network, status and workspace are SQL (the contacts' index); tags and attributes are JSON
columns, compared here in Python on the few columns read (portable across SQLite and
PostgreSQL; a 10,000-contact segment reads in well under a second: bench/segment.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from relaybird.contacts.transitions import ContactStatus, Network
from relaybird.contacts.validation import normalise_phone
from relaybird.errors import AppError, InvalidInput
from relaybird.models import Contact

BATCH = 2_000


class SegmentFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    network: Network = Field(default=Network.WHATSAPP, description="Only WHATSAPP is sendable.")
    tags_all: list[str] = Field(default_factory=list, max_length=50, description="Has every one.")
    tags_any: list[str] = Field(
        default_factory=list, max_length=50, description="Has at least one (when given)."
    )
    tags_none: list[str] = Field(default_factory=list, max_length=50, description="Has none.")
    attributes: dict[str, str] = Field(
        default_factory=dict, max_length=50, description="Each attribute equals this text."
    )
    status: list[ContactStatus] | None = Field(
        default=None, description="Only contacts in these statuses (default: any)."
    )


@dataclass(frozen=True)
class Member:
    id: int
    phone: str | None
    fields: dict[str, str]  # first_name, last_name, company, email, phone + attributes


def members(session: Session, workspace_id: int, where: SegmentFilter) -> Iterator[Member]:
    need_all = {t.strip().lower() for t in where.tags_all}
    need_any = {t.strip().lower() for t in where.tags_any}
    refuse = {t.strip().lower() for t in where.tags_none}
    columns = (
        Contact.id,
        Contact.phone,
        Contact.tags,
        Contact.attributes,
        Contact.first_name,
        Contact.last_name,
        Contact.company,
        Contact.email,
    )
    query = select(*columns).where(
        Contact.workspace_id == workspace_id, Contact.network == where.network.value
    )
    if where.status is not None:
        query = query.where(Contact.status.in_([s.value for s in where.status]))
    last = 0
    while True:
        rows = session.execute(query.where(Contact.id > last).order_by(Contact.id).limit(BATCH))
        batch = rows.all()
        for cid, phone, tags, attributes, first, last_name, company, email in batch:
            have = set(tags or ())
            attrs = dict(attributes or {})
            if need_all - have or (need_any and not need_any & have) or refuse & have:
                continue
            if any(attrs.get(k) != v for k, v in where.attributes.items()):
                continue
            fields = {
                **attrs,
                "first_name": first or "",
                "last_name": last_name or "",
                "company": company or "",
                "email": email or "",
                "phone": phone or "",
            }
            yield Member(int(cid), phone, fields)
        if len(batch) < BATCH:
            return
        last = int(batch[-1][0])


class TagSummary(BaseModel):
    rows: int
    tagged: int = Field(description="Contacts that gained at least one tag.")
    not_found: int = Field(description="Rows whose number is no contact of that network.")
    invalid: int
    errors: list[dict[str, object]] = Field(description="The first problem rows: {row, reason}.")


def tag_from_csv(
    session: Session, workspace_id: int, data: bytes, *, network: Network, region: str
) -> TagSummary:
    """Rows of ``phone,tags`` (tags separated by ``;``): each tag is added to that contact of
    ``network`` (tags it has are kept)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if "phone" not in header or "tags" not in header:
        raise InvalidInput("the file needs a `phone` and a `tags` column (tags split by `;`)")
    at_phone, at_tags = header.index("phone"), header.index("tags")
    out = TagSummary(rows=0, tagged=0, not_found=0, invalid=0, errors=[])
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        out.rows += 1
        raw = cells[at_phone] if at_phone < len(cells) else ""
        tags = {
            t.strip().lower()[:64]
            for t in (cells[at_tags] if at_tags < len(cells) else "").split(";")
        }
        tags.discard("")
        try:
            phone = normalise_phone(raw, region)
        except AppError:
            out.invalid += 1
            if len(out.errors) < 100:
                out.errors.append({"row": number, "reason": "not a valid phone number"})
            continue
        found = list(
            session.scalars(
                select(Contact).where(
                    Contact.workspace_id == workspace_id,
                    Contact.network == network.value,
                    Contact.phone == phone,
                )
            )
        )
        if not found:
            out.not_found += 1
            continue
        for contact in found:
            have = set(contact.tags or ())
            if tags - have:
                contact.tags = sorted(have | tags)
                out.tagged += 1
    session.flush()
    return out
