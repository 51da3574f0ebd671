"""What every door hands to the domain: settings, the database, the clock, and the process's
adapters to the outside world, each a typed field.

The adapters (one HTTP pool each) are made from the settings the first time they are used, on
the event loop that uses them, and closed by ``aclose`` (the app's shutdown, a worker's end, a
CLI command's end). A test puts its own in their place by assignment:
``ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")``.

What a higher layer keeps per process (the inbox writer, refusal counters, a job's set-aside
rows, ...) is a ``Local``: a typed key its module declares, ``ctx.local(KEY)`` makes it once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from relaybird.config import Settings
from relaybird.db import Database
from relaybird.kit.poison import SetAside
from relaybird.kit.sealing import box_of
from relaybird.kit.time import Clock, SystemClock

if TYPE_CHECKING:
    from relaybird.providers.direct import DirectProvider
    from relaybird.providers.line.client import LineChannel
    from relaybird.providers.port import MessagingProvider, TemplateCatalogue
    from relaybird.providers.twilio.client import TwilioChannel
    from relaybird.providers.wechat.client import WeChatChannel

T = TypeVar("T")

# The adapters, by field name (what ``aclose`` closes).
ADAPTERS = ("provider", "catalogue", "twilio", "line", "wechat")


@dataclass(frozen=True, eq=False)
class Local(Generic[T]):
    """A typed per-process value kept on the context, made by ``make(ctx)`` on first use."""

    name: str
    make: Callable[[AppContext], T]


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    # A stand-in for the Direct carriers, only ever set by tests: when set, Direct messages with
    # no connector (or no Cloud API sender) go through it instead of being refused.
    direct: DirectProvider | None = None
    _locals: dict[Local[Any], Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> AppContext:
        return cls(
            settings=settings, db=Database(settings.database_url), clock=clock or SystemClock()
        )

    # --- The adapters (imported on first use: a CLI command that sends nothing loads none).

    @cached_property
    def provider(self) -> MessagingProvider:
        """The WhatsApp Cloud API: campaign sends, sender reads, room messages."""
        from relaybird.providers.whatsapp.client import WhatsAppCloudClient

        return WhatsAppCloudClient(
            self.settings.graph_api_url,
            self.settings.graph_api_version,
            timeout=self.settings.send_timeout.total_seconds(),
        )

    @cached_property
    def catalogue(self) -> TemplateCatalogue:
        """Template catalogue reads and media uploads (its own pool: the background catalogue
        sync runs on an event loop of its own)."""
        from relaybird.providers.whatsapp.client import WhatsAppCloudClient

        return WhatsAppCloudClient(
            self.settings.graph_api_url,
            self.settings.graph_api_version,
            timeout=self.settings.send_timeout.total_seconds(),
        )

    @cached_property
    def twilio(self) -> TwilioChannel:
        from relaybird.providers.twilio.client import TwilioChannel

        return TwilioChannel(
            self.settings.twilio_api_url, timeout=self.settings.send_timeout.total_seconds()
        )

    @cached_property
    def line(self) -> LineChannel:
        from relaybird.providers.line.client import LineChannel

        return LineChannel(
            self.settings.line_api_url,
            access_url=self.settings.line_access_url,
            timeout=self.settings.send_timeout.total_seconds(),
        )

    @cached_property
    def wechat(self) -> WeChatChannel:
        """Its access tokens live in the database, sealed like the connectors' secrets (one
        refresh across workers)."""
        from relaybird.access_tokens.store import DbTokenStore
        from relaybird.providers.access_tokens import AccessTokens
        from relaybird.providers.wechat.client import WeChatChannel

        tokens = AccessTokens(
            DbTokenStore(self.db, box_of(self.settings.secret_keys)),
            clock=self.clock,
            refresh_margin=self.settings.wechat_token_refresh_margin,
        )
        return WeChatChannel(
            self.settings.wechat_api_url,
            tokens,
            mp_url=self.settings.wechat_mp_url,
            timeout=self.settings.send_timeout.total_seconds(),
            clock=self.clock,
        )

    # --- What higher layers keep per process.

    def local(self, key: Local[T]) -> T:
        if key not in self._locals:
            self._locals[key] = key.make(self)
        found: T = self._locals[key]
        return found

    def set_aside(self, name: str, log: logging.Logger) -> SetAside:
        """The ``SetAside`` of the loop or job ``name``: it outlives one run of the job."""
        return self.local(_set_aside(name, log))

    async def aclose(self) -> None:
        """Close what was made (adapters, locals with a ``close``) and forget it: a later use
        makes a fresh one (on the event loop that then uses it)."""
        made = [self.__dict__.pop(name) for name in ADAPTERS if name in self.__dict__]
        made += list(self._locals.values())
        self._locals.clear()
        for resource in made:
            close = getattr(resource, "close", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result


_SET_ASIDE: dict[str, Local[SetAside]] = {}


def _set_aside(name: str, log: logging.Logger) -> Local[SetAside]:
    if name not in _SET_ASIDE:
        _SET_ASIDE[name] = Local(f"set-aside:{name}", lambda _ctx: SetAside(log))
    return _SET_ASIDE[name]
