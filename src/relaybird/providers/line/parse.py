"""LINE webhook body → typed events: every element of ``events[]`` becomes one (a body may carry
events of several users; an empty list is LINE's connectivity check).

Events we model: text ``message``, ``follow``, ``unfollow``, ``accountLink``. Others (postback,
join, leave, unsend, non-text messages, ...) are ``Unknown`` with the reason, never fatal.
``webhookEventId`` is the dedupe key (redeliveries carry the same one).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from relaybird.providers.channel import MalformedCallback
from relaybird.providers.channel_events import (
    AccountLink,
    ChannelEvent,
    Follow,
    InboundText,
    Unfollow,
    Unknown,
)

NETWORK = "LINE"


def parse_body(raw: bytes) -> list[ChannelEvent]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedCallback(f"not JSON: {exc}") from None
    except RecursionError:
        raise MalformedCallback("JSON nested too deeply") from None
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise MalformedCallback("not a LINE webhook body (no events[])")
    destination = str(body.get("destination", ""))
    return [_event(destination, event) for event in body["events"]]


def _at(event: dict[str, Any]) -> datetime | None:
    ms = event.get("timestamp")
    if isinstance(ms, int) and not isinstance(ms, bool):
        return datetime.fromtimestamp(ms / 1000, UTC)
    return None


def _user(event: dict[str, Any]) -> str | None:
    source = event.get("source")
    if isinstance(source, dict) and isinstance(source.get("userId"), str):
        return str(source["userId"])
    return None


def _event(account: str, event: Any) -> ChannelEvent:
    if not isinstance(event, dict):
        return Unknown(NETWORK, "an event that is not an object", raw=event)
    kind = event.get("type")
    event_id = event.get("webhookEventId")
    if not isinstance(event_id, str) or not event_id:
        return Unknown(NETWORK, f"{kind} event without webhookEventId", raw=event)
    user = _user(event)
    at = _at(event)
    reply = event.get("replyToken") if isinstance(event.get("replyToken"), str) else None
    if kind == "accountLink":
        link = event.get("link")
        if not isinstance(link, dict) or not isinstance(link.get("nonce"), str):
            return Unknown(NETWORK, "accountLink without link.nonce", event_id, raw=event)
        ok = link.get("result") == "ok" and user is not None
        return AccountLink(NETWORK, account, user, link["nonce"], ok, at, event_id, reply, event)
    if user is None:
        # Group/room sources have no 1:1 contact behind them.
        return Unknown(NETWORK, f"{kind} event without a user source", event_id, raw=event)
    if kind == "message":
        message = event.get("message")
        if not isinstance(message, dict) or message.get("type") != "text":
            mtype = message.get("type") if isinstance(message, dict) else None
            return Unknown(NETWORK, f"message of type {mtype!r}", event_id, raw=event)
        return InboundText(
            network=NETWORK,
            account=account,
            sender=user,
            message_id=str(message.get("id", "")),
            text=str(message.get("text", "")),
            at=at,
            event_id=event_id,
            reply_token=reply,
            raw=event,
        )
    if kind == "follow":
        follow = event.get("follow")
        unblocked = isinstance(follow, dict) and follow.get("isUnblocked") is True
        return Follow(
            NETWORK, account, user, at, event_id, unblocked=unblocked, reply_token=reply, raw=event
        )
    if kind == "unfollow":
        return Unfollow(NETWORK, account, user, at, event_id, raw=event)
    return Unknown(NETWORK, f"event type {kind!r} not modelled", event_id, raw=event)
