"""Path parameters of the contacts' and users' routes (FastAPI's, so kept out of the schemas,
which the CLI imports without the web stack)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from relaybird.contacts.schemas import MAX_ID

ContactId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
