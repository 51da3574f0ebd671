"""What every door hands to the domain: settings, the database, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from relaybird.config import Settings
from relaybird.db import Database
from relaybird.kit.time import Clock, SystemClock


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    # Long-lived resources the loops share (the provider HTTP session, ...), keyed by name.
    resources: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> AppContext:
        return cls(
            settings=settings, db=Database(settings.database_url), clock=clock or SystemClock()
        )
