"""Provider access tokens shared by every worker (WeChat's access_token; DESIGN.md §3).

One row per provider account. ``version`` moves by one at each saved refresh; the refresh lease
(``lease_owner``/``lease_expires_at``) is taken with a compare-and-set on the version, so two
workers never refresh the same token (providers/access_tokens.py has the protocol).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.models.base import Base


class ProviderAccessToken(Base):
    __tablename__ = "provider_access_tokens"

    # "<network>:<account id>", e.g. "wechat:wx1234567890abcdef".
    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    # WeChat tokens can reach 512 characters.
    token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]
