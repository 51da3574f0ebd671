"""Where domains plug into the applier: event type → handler functions.

A handler takes ``(session, events, ctx)`` — every event of its type in the batch being applied,
in arrival order — applies them inside the applier's transaction (never commits), and returns the
events it could not match yet (or None when it matched them all). It must be idempotent: Meta
delivers duplicates, and replay re-applies stored bodies.

For a type registered with ``retry_unmatched`` (message statuses: a status can arrive before the
send call that produced its wamid has returned), an event that *every* handler of its type left
unmatched makes the applier retry its inbox row later (bounded). For other types an unmatched
event is logged and dropped.

Domains register in ``relaybird.wiring.registered_handlers``, one line each (this module names
no domain, so the domains' handler modules can import it without a circle):

    from relaybird.campaigns import statuses as campaign_statuses
    from relaybird.rooms import handlers as room_handlers
    campaign_statuses.register(registry)       # def register(r): r.on(MessageStatus, fn)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.providers.whatsapp.events import MessageStatus

E = TypeVar("E")


@dataclass(frozen=True)
class ApplyContext:
    """What a handler may need besides the session: the time of this apply and the settings."""

    now: datetime
    settings: Settings


Handler = Callable[[Session, Sequence[Any], ApplyContext], Iterable[Any] | None]


@dataclass
class Registry:
    handlers: dict[type, list[Handler]] = field(default_factory=dict)
    retry_unmatched: set[type] = field(default_factory=lambda: {MessageStatus})

    def on(self, event_type: type[E], handler: Callable[..., Iterable[Any] | None]) -> None:
        self.handlers.setdefault(event_type, []).append(handler)

    def for_type(self, event_type: type) -> list[Handler]:
        return self.handlers.get(event_type, [])
