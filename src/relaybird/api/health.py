from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from relaybird import __version__
from relaybird.api.deps import Ctx

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness and database reachability")
def healthz(ctx: Ctx) -> dict[str, str]:
    with ctx.db.read() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "database": ctx.db.dialect, "version": __version__}
