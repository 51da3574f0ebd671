"""Shared steps of the consent tests: apply a webhook body through the registered handlers."""

from __future__ import annotations

import json
from typing import Any

from relaybird.context import AppContext
from relaybird.inbox.handlers import ApplyContext
from relaybird.providers.whatsapp import wire
from relaybird.providers.whatsapp.parse import parse_body
from relaybird.wiring import registered_handlers
from tests.data import TEMPLATE_FIXTURES, WEBHOOK_FIXTURES


def apply_body(ctx: AppContext, raw: bytes) -> None:
    """Parse ``raw`` and hand each event to every handler of its type, in one transaction."""
    events = parse_body(raw)
    registry = registered_handlers()
    with ctx.db.write() as session:
        for kind in {type(e) for e in events}:
            batch = [e for e in events if type(e) is kind]
            for handler in registry.for_type(kind):
                handler(session, batch, ApplyContext(now=ctx.clock.now(), settings=ctx.settings))


def fixture(name: str, *, pnid: str, wa_id: str | None = None, **item: Any) -> bytes:
    """A fixture of tests/data/whatsapp-templates with its number (and user) swapped in."""
    folder = TEMPLATE_FIXTURES if (TEMPLATE_FIXTURES / name).exists() else WEBHOOK_FIXTURES
    body = json.loads((folder / name).read_bytes())
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = pnid
    for key in ("user_preferences", "messages", "statuses"):
        for entry in value.get(key) or []:
            if wa_id is not None:
                entry[
                    "wa_id"
                    if key == "user_preferences"
                    else "from"
                    if key == "messages"
                    else "recipient_id"
                ] = wa_id
            entry.update(item)
    return json.dumps(body).encode()


def inbound_text(pnid: str, wa_id: str, text: str, wamid: str, ts: int) -> bytes:
    message = {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(ts),
        "type": "text",
        "text": {"body": text},
    }
    value = wire.messages_value(pnid, "15550000000", messages=[message])
    return json.dumps(wire.envelope("waba-1", "messages", value)).encode()
