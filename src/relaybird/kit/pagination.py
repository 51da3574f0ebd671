"""Cursor pagination over an increasing integer id: stable under inserts, O(limit) per page."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from relaybird.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API gave out") from None


def encode_key_cursor(key: str, last_id: int) -> str:
    """The cursor after the row (``key``, ``last_id``) of a list ordered by a text key, then
    id (e.g. recipients found by phone prefix, in number order)."""
    return base64.urlsafe_b64encode(f"key:{last_id}:{key}".encode()).decode().rstrip("=")


def decode_key_cursor(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, rest = raw.partition(":")
        last_id, sep, key = rest.partition(":")
        if kind != "key" or not sep:
            raise ValueError
        return key, int(last_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API gave out") from None


def window(
    query: Select[Any],
    id_column: InstrumentedAttribute[int],
    *,
    after: int | None = None,
    limit: int | None = None,
) -> Select[Any]:
    """``query`` by id, the rows after ``after`` only, at most ``limit`` (None: all): the SQL of
    an API list window (api/deps.py ``Window``)."""
    if after is not None:
        query = query.where(id_column > after)
    return query.order_by(id_column).limit(limit)


def paginate(
    session: Session,
    query: Select[Any],
    id_column: InstrumentedAttribute[int],
    *,
    cursor: str | None,
    limit: int,
) -> Page[Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    if cursor:
        query = query.where(id_column > decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(rows[-1].id) if more else None)
