"""Connectors: create, list, read, delete; and the adapter accounts built from them.

At most one connector per network and workspace (its rooms and contacts on that network use
it); a second is refused with ``409 duplicate_connector``. Secrets are stored sealed (Fernet,
RELAYBIRD_SECRET_KEY: ``kit/sealing.py``) in ``secrets``, opened only here, and leave this module
only inside the adapters' account objects (whose reprs hide them). Without a key no connector
can be created (503 ``secret_key_missing``), and ``startup_problem`` stops the processes from
starting while connectors exist that the key cannot open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.connectors.schemas import (
    ConnectorOut,
    LineCreate,
    TwilioCreate,
    WeChatCreate,
)
from relaybird.context import AppContext
from relaybird.errors import Conflict, NotFound
from relaybird.kit.sealing import (
    NO_KEY,
    SealError,
    SecretBox,
    SecretKeyMissing,
    box_of,
    looks_sealed,
)
from relaybird.models import Connector
from relaybird.providers.line.client import LineAccount
from relaybird.providers.twilio.client import TwilioAccount
from relaybird.providers.wechat.client import WeChatAccount

PROVIDERS = {"SMS_DIRECT": "twilio", "LINE": "line", "WECHAT": "wechat"}
DEFAULT_CALL_MESSAGE = (
    "Hello. This number takes text messages only. Please send a text message; we will answer "
    "you there. Goodbye."
)


class DuplicateConnector(Conflict):
    code = "duplicate_connector"
    title = "Connector already exists"


def secret_box(settings: Settings) -> SecretBox:
    return box_of(settings.secret_keys)


def _open(row: Connector, box: SecretBox) -> dict[str, str]:
    try:
        return {name: box.open(str(value)) for name, value in (row.secrets or {}).items()}
    except SealError:
        raise SecretKeyMissing(
            f"connector {row.id}'s secrets do not open with RELAYBIRD_SECRET_KEY (another key?)"
        ) from None


def startup_problem(session: Session, settings: Settings) -> str | None:
    """Why a process must not start: connectors exist and no key is set, or the key opens not
    every connector's secrets (a plain-text value from before sealing: `relaybird connectors
    reseal`)."""
    rows = list(session.scalars(select(Connector).order_by(Connector.id)))
    if not rows:
        return None
    if not settings.secret_keys:
        return f"{len(rows)} connector(s) exist and {NO_KEY}"
    box = SecretBox(settings.secret_keys)
    plain, unopened = [], []
    for row in rows:
        for value in (row.secrets or {}).values():
            if not looks_sealed(str(value)):
                plain.append(row.id)
                break
            try:
                box.open(str(value))
            except SealError:
                unopened.append(row.id)
                break
    if plain:
        return (
            f"connector(s) {', '.join(map(str, plain))} hold secrets in plain text (stored before "
            "they were encrypted): run `relaybird connectors reseal` once"
        )
    if unopened:
        return (
            f"no key of RELAYBIRD_SECRET_KEY opens the secrets of connector(s) "
            f"{', '.join(map(str, unopened))}: set the key they were stored with (during a "
            "rotation: new,old)"
        )
    return None


def startup_check(ctx: AppContext) -> str | None:
    """``startup_problem`` as a start-up check (relaybird.wiring.startup_checks)."""
    with ctx.db.read() as session:
        return startup_problem(session, ctx.settings)


def reseal(session: Session, box: SecretBox) -> int:
    """Every connector's secrets under the box's first key; a plain-text value (stored before
    sealing) is sealed. Refuses (nothing changed) when a sealed value opens with no key."""
    changed = 0
    for row in session.scalars(select(Connector).order_by(Connector.id)):
        values = row.secrets or {}
        try:
            new = {
                name: box.reseal(str(v)) if looks_sealed(str(v)) else box.seal(str(v))
                for name, v in values.items()
            }
        except SealError:
            raise SecretKeyMissing(
                f"no key of RELAYBIRD_SECRET_KEY opens connector {row.id}'s secrets: give the "
                "key they were stored with too (RELAYBIRD_SECRET_KEY=new,old)"
            ) from None
        if new != values:
            row.secrets = new
            changed += 1
    session.flush()
    return changed


def webhook_path(provider: str, connector_id: int) -> str:
    return f"/webhooks/{provider}/{connector_id}"


def _split(
    body: TwilioCreate | LineCreate | WeChatCreate,
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(account id, public options, secrets) of a creation body; empty values left out."""
    public: dict[str, Any]
    secret: dict[str, Any]
    if isinstance(body, TwilioCreate):
        account = body.account_sid
        public = {"api_key_sid": body.api_key_sid, "call_message": body.call_message}
        secret = {
            "auth_token": body.auth_token.get_secret_value(),
            "api_key_secret": body.api_key_secret.get_secret_value()
            if body.api_key_secret
            else None,
        }
    elif isinstance(body, LineCreate):
        account = body.channel_id
        public = {"basic_id": body.basic_id}
        secret = {
            "channel_secret": body.channel_secret.get_secret_value(),
            "channel_access_token": body.channel_access_token.get_secret_value(),
        }
    else:
        account = body.app_id
        public = {"original_id": body.original_id}
        secret = {
            "app_secret": body.app_secret.get_secret_value(),
            "token": body.token.get_secret_value(),
            "encoding_aes_key": body.encoding_aes_key.get_secret_value()
            if body.encoding_aes_key
            else None,
        }
    return (
        account,
        {k: v for k, v in public.items() if v is not None},
        {k: v for k, v in secret.items() if v is not None},
    )


def create_connector(
    session: Session,
    workspace_id: int,
    body: TwilioCreate | LineCreate | WeChatCreate,
    *,
    at: datetime,
    box: SecretBox,
) -> Connector:
    if for_network(session, workspace_id, body.network) is not None:
        raise DuplicateConnector(
            f"this workspace already has a {body.network} connector; delete it first"
        )
    account, public, secret = _split(body)
    row = Connector(
        workspace_id=workspace_id,
        network=body.network,
        provider=PROVIDERS[body.network],
        name=body.name,
        account_id=account,
        options=public,
        secrets={name: box.seal(str(value)) for name, value in secret.items()},
        created_at=at,
        updated_at=at,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise DuplicateConnector(
            f"a connector named {body.name!r} or on {body.network} already exists"
        ) from None
    return row


def for_network(session: Session, workspace_id: int, network: str) -> Connector | None:
    return session.scalar(
        select(Connector).where(
            Connector.workspace_id == workspace_id, Connector.network == network
        )
    )


def connector_any(session: Session, connector_id: int) -> Connector | None:
    """For the webhook doors (no workspace yet: the connector says which)."""
    return session.get(Connector, connector_id)


def get_connector(session: Session, workspace_id: int, connector_id: int) -> Connector:
    row = session.get(Connector, connector_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"no connector {connector_id} in this workspace")
    return row


def list_connectors(session: Session, workspace_id: int) -> list[Connector]:
    return list(
        session.scalars(
            select(Connector).where(Connector.workspace_id == workspace_id).order_by(Connector.id)
        )
    )


def delete_connector(session: Session, workspace_id: int, connector_id: int) -> None:
    session.delete(get_connector(session, workspace_id, connector_id))
    session.flush()


def to_out(row: Connector, public_url: str) -> ConnectorOut:
    return ConnectorOut(
        id=row.id,
        network=row.network,
        provider=row.provider,
        name=row.name,
        account_id=row.account_id,
        options=dict(row.options or {}),
        secrets_set=sorted(row.secrets or {}),
        webhook_url=public_url.rstrip("/") + webhook_path(row.provider, row.id),
        created_at=row.created_at,
    )


# --- the adapters' accounts ---------------------------------------------------------------------


def twilio_account(row: Connector, public_url: str, box: SecretBox) -> TwilioAccount:
    secrets = _open(row, box)
    options = row.options or {}
    return TwilioAccount(
        account_sid=row.account_id,
        auth_token=str(secrets["auth_token"]),
        api_key_sid=options.get("api_key_sid"),
        api_key_secret=secrets.get("api_key_secret"),
        status_callback_url=public_url.rstrip("/") + webhook_path(row.provider, row.id),
    )


def line_account(row: Connector, box: SecretBox) -> LineAccount:
    secrets = _open(row, box)
    return LineAccount(
        channel_access_token=str(secrets["channel_access_token"]),
        channel_secret=str(secrets["channel_secret"]),
    )


def wechat_account(row: Connector, box: SecretBox) -> WeChatAccount:
    secrets = _open(row, box)
    return WeChatAccount(
        app_id=row.account_id,
        app_secret=str(secrets["app_secret"]),
        token=str(secrets["token"]),
        encoding_aes_key=secrets.get("encoding_aes_key"),
        original_id=(row.options or {}).get("original_id"),
    )
