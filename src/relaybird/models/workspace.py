from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from relaybird.models.base import Base, IdMixin, TimestampMixin


class Workspace(IdMixin, TimestampMixin, Base):
    """A tenant. Every other row belongs to exactly one workspace; no query crosses them."""

    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    # PER_NUMBER (the seed's model) or PER_PORTFOLIO (Meta since 2025-10).
    limit_model: Mapped[str] = mapped_column(String(20), default="PER_NUMBER")
