"""Log lines that tell what a transaction did, written only once it committed: an operator's log
never says a campaign paused when the transaction that paused it rolled back."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "relaybird_after_commit_log"


def log_after_commit(
    session: Session, logger: logging.Logger, message: str, *args: Any, level: int = logging.INFO
) -> None:
    """Log ``message % args`` on ``logger`` when ``session`` commits; dropped on rollback."""
    if logger.isEnabledFor(level):
        session.info.setdefault(_KEY, []).append((logger, level, message, args))


@event.listens_for(Session, "after_commit")
def _write(session: Session) -> None:
    for logger, level, message, args in session.info.pop(_KEY, ()):
        logger.log(level, message, *args)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)
