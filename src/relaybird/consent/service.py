"""The rules of consent (a Session in, never a commit): suppress, lift, the workspace's rules,
and whether a campaign's template may go to a suppressed number."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relaybird.campaigns.export import cell as csv_cell
from relaybird.config import Settings
from relaybird.consent import keywords, repository
from relaybird.consent.schemas import (
    EXEMPTABLE,
    SELF_LIFTED,
    ConsentRules,
    ImportSummary,
    Source,
    SuppressionIn,
    SuppressionOut,
    SuppressionPage,
)
from relaybird.errors import InvalidInput, NotFound
from relaybird.events.outbox import emit
from relaybird.kit.pagination import paginate
from relaybird.kit.phones import normalise
from relaybird.kit.time import rfc3339
from relaybird.models import Suppression

OPTED_OUT = "opted out"
MAX_IMPORT_ERRORS = 100
CSV_COLUMNS = ("phone", "source", "reason", "created_at")


def to_out(row: Suppression) -> SuppressionOut:
    return SuppressionOut(
        id=row.id,
        phone=row.phone,
        source=Source(row.source),
        reason=row.reason,
        sender_id=row.sender_id,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def phone_of(raw: str, region: str) -> str:
    phone = normalise(raw.strip(), region) if raw.strip() else None
    if phone is None:
        raise InvalidInput(
            "phone: not a valid phone number (write it with + and the country code)",
            errors=[{"field": "phone", "msg": "not a valid phone number"}],
        )
    return phone


def suppress(
    session: Session,
    workspace_id: int,
    phone: str,
    source: Source,
    *,
    reason: str | None,
    actor: str,
    now: datetime,
    sender_id: int | None = None,
) -> bool:
    """Suppress ``phone`` (E.164). Idempotent: a number already suppressed keeps its first
    reason. True when this added it."""
    added = repository.insert_new(
        session,
        {
            "workspace_id": workspace_id,
            "phone": phone,
            "source": source.value,
            "reason": reason,
            "sender_id": sender_id,
            "created_by": actor[:64],
            "created_at": now,
        },
    )
    if added is not None:
        emit(
            session,
            workspace_id=workspace_id,
            type="suppression.added",
            entity="suppression",
            entity_id=added,
            data={"phone": phone, "source": source.value, "reason": reason, "at": rfc3339(now)},
            at=now,
        )
    return added is not None


def lift(
    session: Session,
    workspace_id: int,
    phone: str,
    *,
    actor: str,
    now: datetime,
    by_person: bool = False,
) -> bool:
    """Remove ``phone``'s suppression. ``by_person`` (an opt-in keyword, Meta's resume) lifts
    only what the person put there, never an operator's. True when a row was removed."""
    row = repository.get(session, workspace_id, phone)
    if row is None:
        return False
    if by_person and Source(row.source) not in SELF_LIFTED:
        return False
    repository.remove(session, workspace_id, phone, None)
    emit(
        session,
        workspace_id=workspace_id,
        type="suppression.removed",
        entity="suppression",
        entity_id=row.id,
        data={"phone": phone, "source": row.source, "by": actor, "at": rfc3339(now)},
        at=now,
    )
    return True


def add(
    session: Session,
    workspace_id: int,
    body: SuppressionIn,
    *,
    region: str,
    actor: str,
    now: datetime,
) -> Suppression:
    phone = phone_of(body.phone, region)
    suppress(session, workspace_id, phone, body.source, reason=body.reason, actor=actor, now=now)
    row = repository.get(session, workspace_id, phone)
    assert row is not None
    return row


def remove(
    session: Session, workspace_id: int, raw_phone: str, *, region: str, actor: str, now: datetime
) -> None:
    phone = phone_of(raw_phone, region)
    if not lift(session, workspace_id, phone, actor=actor, now=now):
        raise NotFound("that number is not suppressed")


def page(
    session: Session,
    workspace_id: int,
    *,
    cursor: str | None,
    limit: int,
    source: Source | None = None,
) -> SuppressionPage:
    query = repository.listing(workspace_id, source.value if source else None)
    found = paginate(session, query, Suppression.id, cursor=cursor, limit=limit)
    return SuppressionPage(items=[to_out(r) for r in found.items], next_cursor=found.next_cursor)


def is_suppressed(session: Session, workspace_id: int, phone: str) -> Suppression | None:
    return repository.get(session, workspace_id, phone)


def export_rows(session: Session, workspace_id: int, batch: int = 1000) -> Iterator[str]:
    """The list as CSV lines (header first), read in id order a batch at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue()
    cursor: str | None = None
    while True:
        found = page(session, workspace_id, cursor=cursor, limit=min(batch, 500))
        out.seek(0)
        out.truncate()
        for item in found.items:
            writer.writerow(
                [
                    item.phone,
                    item.source.value,
                    csv_cell(item.reason or ""),
                    rfc3339(item.created_at),
                ]
            )
        yield out.getvalue()
        if found.next_cursor is None:
            return
        cursor = found.next_cursor


def import_csv(
    session: Session, workspace_id: int, data: bytes, *, region: str, actor: str, now: datetime
) -> ImportSummary:
    """Rows of ``phone[,source][,reason]`` (a header row naming `phone` required). Invalid rows
    are reported, the valid ones added; numbers already suppressed are left as they are."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if "phone" not in header:
        raise InvalidInput("the file has no `phone` column (columns: phone, source, reason)")
    at: dict[str, int] = {
        name: header.index(name) for name in ("phone", "source", "reason") if name in header
    }
    summary = ImportSummary(rows=0, added=0, already=0, invalid=0, errors=[])

    def cell(cells: Sequence[str], name: str) -> str:
        i = at.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        summary.rows += 1
        problem: str | None = None
        phone = normalise(cell(cells, "phone"), region) if cell(cells, "phone") else None
        raw_source = cell(cells, "source").lower() or Source.MANUAL.value
        if phone is None:
            problem = "not a valid phone number"
        elif raw_source not in {s.value for s in Source}:
            problem = f"source {raw_source!r} is not one of {', '.join(s.value for s in Source)}"
        if problem is not None or phone is None:
            summary.invalid += 1
            if len(summary.errors) < MAX_IMPORT_ERRORS:
                summary.errors.append({"row": number, "reason": problem})
            continue
        reason = cell(cells, "reason")[:500] or None
        if suppress(
            session, workspace_id, phone, Source(raw_source), reason=reason, actor=actor, now=now
        ):
            summary.added += 1
        else:
            summary.already += 1
    return summary


@dataclass(frozen=True)
class Rules:
    opt_out: frozenset[str]
    opt_in: frozenset[str]
    confirm: bool
    opt_out_reply: str
    opt_in_reply: str
    exempt: frozenset[str]

    def as_schema(self) -> ConsentRules:
        return ConsentRules(
            opt_out_keywords=sorted(self.opt_out),
            opt_in_keywords=sorted(self.opt_in),
            confirm=self.confirm,
            opt_out_reply=self.opt_out_reply,
            opt_in_reply=self.opt_in_reply,
            exempt_categories=sorted(self.exempt),
        )


def rules_of(session: Session, workspace_id: int, settings: Settings) -> Rules:
    row = repository.rules(session, workspace_id)
    if row is None:
        return Rules(
            opt_out=keywords.normalised_set(keywords.DEFAULT_OPT_OUT),
            opt_in=keywords.normalised_set(keywords.DEFAULT_OPT_IN),
            confirm=settings.consent_confirm,
            opt_out_reply=settings.consent_opt_out_reply,
            opt_in_reply=settings.consent_opt_in_reply,
            exempt=frozenset(
                c.upper() for c in settings.consent_exempt_categories if c.upper() in EXEMPTABLE
            ),
        )
    return Rules(
        opt_out=keywords.normalised_set(row.opt_out_keywords),
        opt_in=keywords.normalised_set(row.opt_in_keywords),
        confirm=row.confirm,
        opt_out_reply=row.opt_out_reply,
        opt_in_reply=row.opt_in_reply,
        exempt=frozenset(row.exempt_categories),
    )


def set_rules(session: Session, workspace_id: int, body: ConsentRules, *, now: datetime) -> Rules:
    problems: list[dict[str, Any]] = []
    bad = [c for c in body.exempt_categories if c.upper() not in EXEMPTABLE]
    if bad:
        problems.append(
            {
                "field": "exempt_categories",
                "msg": f"only UTILITY and AUTHENTICATION may be exempt, not {bad}",
            }
        )
    out = keywords.normalised_set(body.opt_out_keywords)
    into = keywords.normalised_set(body.opt_in_keywords)
    if not out:
        problems.append({"field": "opt_out_keywords", "msg": "at least one keyword"})
    if out & into:
        problems.append(
            {"field": "opt_in_keywords", "msg": f"in both lists: {', '.join(sorted(out & into))}"}
        )
    if problems:
        raise InvalidInput(
            "; ".join(f"{p['field']}: {p['msg']}" for p in problems),
            errors=problems,
            field=problems[0]["field"],
        )
    repository.save_rules(
        session,
        workspace_id,
        {
            "opt_out_keywords": sorted(out),
            "opt_in_keywords": sorted(into),
            "confirm": body.confirm,
            "opt_out_reply": body.opt_out_reply,
            "opt_in_reply": body.opt_in_reply,
            "exempt_categories": sorted({c.upper() for c in body.exempt_categories}),
            "updated_at": now,
        },
    )
    row = repository.rules(session, workspace_id)
    assert row is not None
    return Rules(
        opt_out=out,
        opt_in=into,
        confirm=row.confirm,
        opt_out_reply=row.opt_out_reply,
        opt_in_reply=row.opt_in_reply,
        exempt=frozenset(row.exempt_categories),
    )


def template_is_held_back(
    session: Session,
    workspace_id: int,
    sender_id: int,
    template_name: str,
    language: str,
    exempt: frozenset[str],
) -> bool:
    """Whether suppressed numbers are kept from this template: always unless its category (as
    the catalogue says) is one the workspace exempts. Unknown category: held back."""
    if not exempt:
        return True
    sender = repository.sender(session, sender_id)
    if sender is None:
        return True
    category = repository.template_category(
        session, workspace_id, sender.waba_id, template_name, language
    )
    return category is None or category.upper() not in exempt


def suppressed_among(session: Session, workspace_id: int, phones: Sequence[str]) -> set[str]:
    return repository.suppressed_among(session, workspace_id, phones)
