"""Connectors: the workspace's accounts at the Direct networks' providers (issue 16).

One row per provider account, at most one per network and workspace: the Twilio account behind
SMS & Voice Direct (the users' virtual numbers are numbers of that account), the LINE Official
Account's Messaging API channel, the WeChat Official Account. ``account_id`` and ``options`` are
public (Account SID, channel id, AppID; a spoken call message, the add-friend link...);
``secrets`` (Auth Token, channel secret and access token, AppSecret and server Token) maps each
name to its value sealed with RELAYBIRD_SECRET_KEY (a Fernet token: ``connectors/service.py``,
``kit/sealing.py``); the values are never returned by the API, the CLI or a log line.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.db.types import BigId
from relaybird.models.base import Base, IdMixin, Json, TimestampMixin


class Connector(IdMixin, TimestampMixin, Base):
    __tablename__ = "connectors"
    __table_args__ = (
        UniqueConstraint("workspace_id", "network"),
        UniqueConstraint("workspace_id", "name"),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    network: Mapped[str] = mapped_column(String(20))  # SMS_DIRECT | LINE | WECHAT
    provider: Mapped[str] = mapped_column(String(20))  # twilio | line | wechat
    name: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[str] = mapped_column(String(100))  # Account SID / channel id / AppID
    options: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    secrets: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    def __repr__(self) -> str:  # never the secrets
        return f"Connector(id={self.id}, network={self.network}, account_id={self.account_id})"
