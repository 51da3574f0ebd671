"""SQL of consent: the suppression list, the workspace's rules, the confirmations to send."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaybird.db.bulk import one_of
from relaybird.models import ConsentReply, ConsentSettings, Sender, Suppression, Template
from relaybird.models.consent import ReplyStatus


def get(session: Session, workspace_id: int, phone: str) -> Suppression | None:
    return session.scalar(
        select(Suppression).where(
            Suppression.workspace_id == workspace_id, Suppression.phone == phone
        )
    )


def insert_new(session: Session, values: dict[str, Any]) -> int | None:
    """Insert unless the number is already suppressed (the first reason is kept): the new row's
    id, or None."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    new_id = session.scalar(
        insert(Suppression)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "phone"])
        .returning(Suppression.id)
    )
    return None if new_id is None else int(new_id)


def remove(session: Session, workspace_id: int, phone: str, sources: Sequence[str] | None) -> bool:
    query = delete(Suppression).where(
        Suppression.workspace_id == workspace_id, Suppression.phone == phone
    )
    if sources is not None:
        query = query.where(Suppression.source.in_(list(sources)))
    return bool(getattr(session.execute(query), "rowcount", 0))


def listing(workspace_id: int, source: str | None = None) -> Select[Any]:
    query = select(Suppression).where(Suppression.workspace_id == workspace_id)
    if source is not None:
        query = query.where(Suppression.source == source)
    return query


def suppressed_among(session: Session, workspace_id: int, phones: Sequence[str]) -> set[str]:
    """Which of ``phones`` are suppressed (one indexed look-up, the unique key; one statement
    however many phones: an import asks for a whole chunk)."""
    if not phones:
        return set()
    return set(
        session.scalars(
            select(Suppression.phone).where(
                Suppression.workspace_id == workspace_id,
                one_of(session, Suppression.phone, set(phones)),
            )
        )
    )


def rules(session: Session, workspace_id: int) -> ConsentSettings | None:
    return session.get(ConsentSettings, workspace_id)


def save_rules(session: Session, workspace_id: int, values: dict[str, Any]) -> None:
    row = session.get(ConsentSettings, workspace_id)
    if row is None:
        session.add(ConsentSettings(workspace_id=workspace_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()


def sender_by_phone_number_id(session: Session, phone_number_id: str) -> Sender | None:
    return session.scalar(select(Sender).where(Sender.phone_number_id == phone_number_id))


def template_category(
    session: Session, workspace_id: int, waba_id: str | None, name: str, language: str
) -> str | None:
    return session.scalar(
        select(Template.category).where(
            Template.workspace_id == workspace_id,
            Template.waba_id == waba_id,
            Template.name == name,
            Template.language == language,
        )
    )


def sender(session: Session, sender_id: int) -> Sender | None:
    return session.get(Sender, sender_id)


def queue_reply(session: Session, values: dict[str, Any]) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(ConsentReply)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["inbound_wamid"])
    )


def claim_replies(session: Session, now: datetime, limit: int) -> list[ConsentReply]:
    rows = list(
        session.scalars(
            select(ConsentReply)
            .where(ConsentReply.status == ReplyStatus.QUEUED, ConsentReply.claimed_at.is_(None))
            .order_by(ConsentReply.id)
            .limit(limit)
        )
    )
    claimed = []
    for row in rows:
        done = session.execute(
            update(ConsentReply)
            .where(ConsentReply.id == row.id, ConsentReply.claimed_at.is_(None))
            .values(claimed_at=now),
            execution_options={"synchronize_session": False},
        )
        if getattr(done, "rowcount", 0):
            claimed.append(row)
    return claimed


def finish_reply(
    session: Session,
    reply_id: int,
    *,
    status: ReplyStatus,
    wamid: str | None,
    error: str | None,
    now: datetime,
) -> None:
    session.execute(
        update(ConsentReply)
        .where(ConsentReply.id == reply_id)
        .values(status=status, wamid=wamid, error_title=error, sent_at=now),
        execution_options={"synchronize_session": False},
    )
