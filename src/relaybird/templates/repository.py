"""SQL for templates, their catalogue syncs and uploaded media. Services compose these; the door
owns the transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from relaybird.kit.pagination import Page, paginate
from relaybird.models import MediaAsset, Sender, Template, TemplateSync


def add(session: Session, **fields: Any) -> Template:
    template = Template(**fields)
    session.add(template)
    session.flush()
    return template


def get(session: Session, workspace_id: int, template_id: int) -> Template | None:
    return session.scalar(
        select(Template).where(Template.id == template_id, Template.workspace_id == workspace_id)
    )


def get_any(session: Session, template_id: int) -> Template | None:
    return session.scalar(
        select(Template).where(Template.id == template_id).execution_options(populate_existing=True)
    )


def of_waba(session: Session, workspace_id: int, waba_id: str) -> list[Template]:
    return list(
        session.scalars(
            select(Template)
            .where(Template.workspace_id == workspace_id, Template.waba_id == waba_id)
            .order_by(Template.id)
            .execution_options(populate_existing=True)
        )
    )


def by_name(
    session: Session, workspace_id: int, waba_id: str, name: str, language: str
) -> Template | None:
    return session.scalar(
        select(Template).where(
            Template.workspace_id == workspace_id,
            Template.waba_id == waba_id,
            Template.name == name,
            Template.language == language,
        )
    )


def matching(
    session: Session, waba_id: str, meta_id: str | None, name: str | None, language: str | None
) -> list[int]:
    """Templates a webhook names, in every workspace that has the account: by Meta's id, or by
    name and language when the id is unknown to us (Meta's own examples write ``en-US`` where
    the catalogue says ``en_US``: both spellings match)."""
    if meta_id is not None:
        ids = list(
            session.scalars(
                select(Template.id)
                .where(Template.waba_id == waba_id, Template.meta_id == meta_id)
                .order_by(Template.id)
            )
        )
        if ids:
            return ids
    if name is None or language is None:
        return []
    spellings = {language, language.replace("-", "_"), language.replace("_", "-")}
    return list(
        session.scalars(
            select(Template.id)
            .where(
                Template.waba_id == waba_id,
                Template.name == name,
                Template.language.in_(sorted(spellings)),
            )
            .order_by(Template.id)
        )
    )


def fresh(session: Session, ids: Sequence[int]) -> list[Template]:
    """These templates as the database has them now (a move's UPDATE bypassed the ORM)."""
    if not ids:
        return []
    query = select(Template).where(Template.id.in_(list(ids))).order_by(Template.id)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def page(
    session: Session,
    workspace_id: int,
    *,
    waba_id: str | None,
    status: str | None,
    name: str | None,
    cursor: str | None,
    limit: int,
) -> Page[Template]:
    query = select(Template).where(Template.workspace_id == workspace_id)
    if waba_id is not None:
        query = query.where(Template.waba_id == waba_id)
    if status is not None:
        query = query.where(Template.status == status)
    if name is not None:
        # A substring match, as WhatsApp Manager's search box (names are lower-case by rule).
        pattern = (
            "%" + name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(Template.name.like(pattern, escape="\\"))
    return paginate(session, query, Template.id, cursor=cursor, limit=limit)


def set_fields(session: Session, template_id: int, values: Mapping[str, Any]) -> None:
    if values:
        session.execute(
            update(Template).where(Template.id == template_id).values(dict(values)),
            execution_options={"synchronize_session": False},
        )


# --- the senders a catalogue is read through -------------------------------------------------


def sender(session: Session, workspace_id: int, sender_id: int) -> Sender | None:
    return session.scalar(
        select(Sender).where(Sender.id == sender_id, Sender.workspace_id == workspace_id)
    )


def sender_for_waba(session: Session, workspace_id: int, waba_id: str) -> Sender | None:
    """A number of the account whose token reads its catalogue (the first one not BANNED)."""
    return session.scalar(
        select(Sender)
        .where(
            Sender.workspace_id == workspace_id,
            Sender.waba_id == waba_id,
            Sender.status != "BANNED",
        )
        .order_by(Sender.id)
        .limit(1)
    )


def accounts(session: Session) -> list[tuple[int, str, datetime]]:
    """Every (workspace, business account) some sender belongs to, with when its first number
    was added."""
    rows = session.execute(
        select(Sender.workspace_id, Sender.waba_id, func.min(Sender.created_at))
        .where(Sender.waba_id.is_not(None))
        .group_by(Sender.workspace_id, Sender.waba_id)
        .order_by(Sender.workspace_id, Sender.waba_id)
    ).all()
    return [(int(ws), str(waba), _aware(first)) for ws, waba, first in rows]


def _aware(value: Any) -> datetime:
    """min() over a UTC column comes back untyped on SQLite (ISO text, no zone)."""
    when: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# --- catalogue syncs ---------------------------------------------------------------------------


def sync_state(session: Session, workspace_id: int, waba_id: str) -> TemplateSync | None:
    return session.get(TemplateSync, (workspace_id, waba_id))


def record_sync(
    session: Session,
    workspace_id: int,
    waba_id: str,
    *,
    at: datetime,
    templates: int | None = None,
    error: str | None = None,
) -> None:
    row = session.get(TemplateSync, (workspace_id, waba_id))
    if row is None:
        row = TemplateSync(workspace_id=workspace_id, waba_id=waba_id, templates=0)
        session.add(row)
    row.synced_at = at
    row.due = False
    row.error = error
    if templates is not None:
        row.templates = templates
    session.flush()


def mark_due(session: Session, waba_id: str) -> int:
    """Every workspace's sync of this account is due now (a template was edited)."""
    result = session.execute(
        update(TemplateSync).where(TemplateSync.waba_id == waba_id).values(due=True),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def due_accounts(session: Session, before: datetime, limit: int = 20) -> list[tuple[int, str]]:
    """Accounts last read before ``before``, or marked due by an edit webhook, stalest first. An
    account never read counts from when its first number was added (its first reading is the
    operator's sync, or one interval later), as sender numbers do."""
    states = {(s.workspace_id, s.waba_id): s for s in session.scalars(select(TemplateSync))}
    due: list[tuple[datetime, int, str]] = []
    for workspace_id, waba_id, first in accounts(session):
        state = states.get((workspace_id, waba_id))
        last = state.synced_at if state is not None and state.synced_at is not None else first
        if (state is not None and state.due) or last < before:
            due.append((last, workspace_id, waba_id))
    due.sort()
    return [(ws, waba) for _, ws, waba in due[:limit]]


# --- media -------------------------------------------------------------------------------------


def add_media(session: Session, **fields: Any) -> MediaAsset:
    asset = MediaAsset(**fields)
    session.add(asset)
    session.flush()
    return asset


def reusable_media(
    session: Session, sender_id: int, sha256: str, mime_type: str, valid_after: datetime
) -> MediaAsset | None:
    """The same bytes already uploaded through this number and still valid at Meta."""
    return session.scalar(
        select(MediaAsset)
        .where(
            MediaAsset.sender_id == sender_id,
            MediaAsset.sha256 == sha256,
            MediaAsset.mime_type == mime_type,
            MediaAsset.expires_at > valid_after,
        )
        .order_by(MediaAsset.id.desc())
        .limit(1)
    )


def media_page(
    session: Session, workspace_id: int, sender_id: int, *, cursor: str | None, limit: int
) -> Page[MediaAsset]:
    query = select(MediaAsset).where(
        MediaAsset.workspace_id == workspace_id, MediaAsset.sender_id == sender_id
    )
    return paginate(session, query, MediaAsset.id, cursor=cursor, limit=limit)


def count(session: Session, workspace_id: int, waba_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Template)
            .where(
                Template.workspace_id == workspace_id,
                Template.waba_id == waba_id,
                Template.status != "DELETED",
            )
        )
        or 0
    )
