"""A small Direct provider port: a user's virtual number sends a text to an external number.

Production sends go through the real adapters (rooms/outbound.py: Twilio, LINE, WeChat
connectors; the Cloud API for WhatsApp-Direct numbers that are senders) or are refused.
What is left here: ``LoopbackDirectProvider``, an outbox that accepts each message, gives it an
id and keeps it in memory — a test double only, used when a test puts it in
``AppContext.direct``; nothing in production creates one.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from relaybird.providers.port import SendResult


@dataclass(frozen=True)
class DirectMessage:
    network: str
    from_phone: str  # the user's virtual number
    to: str  # E.164
    text: str
    callback_data: str | None = None


class DirectProvider(Protocol):
    async def send(self, message: DirectMessage) -> SendResult: ...


class LoopbackDirectProvider:
    """Accepts every message and keeps the last ``keep`` in memory (no carrier behind it)."""

    def __init__(self, keep: int = 1000) -> None:
        self._lock = threading.Lock()
        self.outbox: deque[tuple[str, DirectMessage]] = deque(maxlen=keep)

    async def send(self, message: DirectMessage) -> SendResult:
        message_id = f"loopback.{uuid.uuid4().hex}"
        with self._lock:
            self.outbox.append((message_id, message))
        return SendResult(message_id=message_id)

    def sent_to(self, to: str) -> list[DirectMessage]:
        with self._lock:
            return [m for _, m in self.outbox if m.to == to]
