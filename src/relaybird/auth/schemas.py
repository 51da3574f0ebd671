from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from relaybird.auth.roles import Role


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="What the key is for.")
    role: Role = Field(description="admin, agent or viewer.")


class KeyOut(BaseModel):
    id: int
    name: str
    role: Role
    prefix: str = Field(description="The key's first characters, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    key: str = Field(description="The API key itself. Shown once: store it now.")


class Me(BaseModel):
    workspace_id: int
    role: Role
    actor: str
