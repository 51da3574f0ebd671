from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """admin ⊃ agent ⊃ viewer: viewers read, agents work with contacts and rooms, admins also run
    campaigns and manage senders, users and keys."""

    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "agent": 1, "admin": 2}[self.value]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank
