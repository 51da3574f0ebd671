from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from relaybird.auth.keys import shown_prefix
from relaybird.auth.roles import Role
from relaybird.models import ApiKey


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="What the key is for.")
    role: Role = Field(description="admin, agent or viewer.")


class KeyOut(BaseModel):
    id: int
    name: str
    role: Role
    prefix: str = Field(
        description="Recognises the key without revealing it: `rbk_<public id>` (the start of "
        "the key), or `sha256:<8 hex>` (the head of its SHA-256) for older and operator-chosen "
        "keys."
    )
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(
            id=key.id,
            name=key.name,
            role=Role(key.role),
            prefix=shown_prefix(key.prefix, key.key_hash),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class KeyCreated(KeyOut):
    key: str = Field(description="The API key itself. Shown once: store it now.")


class Me(BaseModel):
    workspace_id: int
    role: Role
    actor: str
