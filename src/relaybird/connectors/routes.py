"""The connectors API: the workspace's Twilio account, LINE channel, WeChat Official Account.
Secrets are written once and never read back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from relaybird.api.deps import Admin, Ctx, ReadSession, Viewer, WriteSession
from relaybird.connectors import service
from relaybird.connectors.schemas import ConnectorCreate, ConnectorOut, ConnectorPage

router = APIRouter(prefix="/connectors", tags=["connectors"])

ConnectorId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The connector's id.")]


@router.post(
    "",
    response_model=ConnectorOut,
    status_code=status.HTTP_201_CREATED,
    summary="Connect a Twilio account, a LINE channel or a WeChat Official Account",
    description="`network` chooses the shape: `SMS_DIRECT` (Twilio: `account_sid`, "
    "`auth_token`, optional `api_key_sid`/`api_key_secret`, `call_message`), `LINE` "
    "(`channel_id`, `channel_secret`, `channel_access_token`, optional `basic_id`), `WECHAT` "
    "(`app_id`, `app_secret`, `token`, optional `encoding_aes_key`, `original_id`). One "
    "connector per network and workspace (409 `duplicate_connector`). The secrets are stored "
    "encrypted with RELAYBIRD_SECRET_KEY (unset: 503 `secret_key_missing`, nothing stored) and "
    "never returned: the answer lists which are set, and `webhook_url`, where to point the "
    "provider's webhooks.",
)
def create_connector(
    body: ConnectorCreate, principal: Admin, session: WriteSession, ctx: Ctx
) -> ConnectorOut:
    row = service.create_connector(
        session,
        principal.workspace_id,
        body,
        at=ctx.clock.now(),
        box=service.secret_box(ctx.settings),
    )
    return service.to_out(row, ctx.settings.public_url)


@router.get("", response_model=ConnectorPage, summary="The workspace's connectors")
def list_connectors(principal: Viewer, session: ReadSession, ctx: Ctx) -> ConnectorPage:
    rows = service.list_connectors(session, principal.workspace_id)
    return ConnectorPage(items=[service.to_out(r, ctx.settings.public_url) for r in rows])


@router.get("/{connector_id}", response_model=ConnectorOut, summary="One connector")
def get_connector(
    connector_id: ConnectorId, principal: Viewer, session: ReadSession, ctx: Ctx
) -> ConnectorOut:
    row = service.get_connector(session, principal.workspace_id, connector_id)
    return service.to_out(row, ctx.settings.public_url)


@router.delete(
    "/{connector_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a connector (its secrets with it)",
    description="Messages on its network are then refused (FAILED, 'no connector') until "
    "another is created.",
)
def delete_connector(connector_id: ConnectorId, principal: Admin, session: WriteSession) -> None:
    service.delete_connector(session, principal.workspace_id, connector_id)
