from __future__ import annotations

from fastapi import APIRouter, status

from relaybird.api.deps import Admin, Ctx, ListWindow, ReadSession, Viewer, WriteSession
from relaybird.auth import service
from relaybird.auth.schemas import KeyCreate, KeyCreated, KeyOut, Me

router = APIRouter(tags=["auth"])


@router.get("/me", response_model=Me, summary="Who am I: the key's workspace and role")
def me(principal: Viewer) -> Me:
    return Me(workspace_id=principal.workspace_id, role=principal.role, actor=principal.actor)


@router.get("/keys", response_model=list[KeyOut], summary="List the workspace's API keys")
def list_keys(principal: Admin, session: ReadSession, window: ListWindow) -> list[KeyOut]:
    return [
        KeyOut.of(k) for k in window.take(service.list_keys(session, principal, **window.bounds))
    ]


@router.post(
    "/keys",
    response_model=KeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key (shown once)",
)
def create_key(body: KeyCreate, principal: Admin, session: WriteSession, ctx: Ctx) -> KeyCreated:
    created = service.create_key(
        session,
        workspace_id=principal.workspace_id,
        role=body.role,
        name=body.name,
        at=ctx.clock.now(),
    )
    out = KeyOut.of(created.key)
    return KeyCreated(**out.model_dump(), key=created.secret)


@router.delete(
    "/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key"
)
def revoke_key(key_id: int, principal: Admin, session: WriteSession, ctx: Ctx) -> None:
    service.revoke(session, principal, key_id, ctx.clock.now())
