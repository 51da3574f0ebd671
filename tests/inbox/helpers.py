"""Shared bits of the inbox tests: signing bodies like Meta, reading the inbox table."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.models import InboxEvent
from relaybird.providers.whatsapp import signature, wire

SECRET = "test-app-secret"  # tests/conftest.py make_settings


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", signature.HEADER: signature.sign(body, secret)}


def statuses_body(
    statuses: list[dict[str, Any]], phone_number_id: str = "pn-1", waba: str = "waba-1"
) -> bytes:
    value = wire.messages_value(phone_number_id, "15550000000", statuses=statuses)
    return json.dumps(wire.envelope(waba, "messages", value)).encode()


def status(
    wamid: str, state: str, *, callback: str | None = None, code: int | None = None, ts: int = 1
) -> dict[str, Any]:
    error = (code, f"error {code}") if code is not None else None
    return wire.status_object(wamid, state, "15551234567", ts, callback_data=callback, error=error)


def inbox_rows(ctx: AppContext) -> list[InboxEvent]:
    with ctx.db.read() as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))
