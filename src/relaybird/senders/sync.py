"""Reading a number's fields from the provider (``GET /{phone-number-id}``) and feeding them to
the lifecycle, on demand (API/CLI) and periodically.

Three short transactions, never one held across the network call: read the credentials; call
the provider; apply what it said. A crash between them loses nothing but a reading.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from relaybird.context import AppContext
from relaybird.errors import InvalidInput, NotFound, ServiceUnavailable
from relaybird.kit.poison import set_aside
from relaybird.providers.port import (
    ErrorKind,
    ProviderCallFailed,
    ProviderError,
    SenderCredentials,
)
from relaybird.senders import repository, service
from relaybird.senders.errors import ProviderFailed
from relaybird.senders.service import NewSender

log = logging.getLogger("relaybird.senders")


def _credentials(ctx: AppContext, sender_id: int, workspace_id: int | None) -> SenderCredentials:
    with ctx.db.read() as session:
        sender = (
            repository.get_any(session, sender_id)
            if workspace_id is None
            else repository.get(session, workspace_id, sender_id)
        )
        if sender is None:
            raise NotFound(f"sender {sender_id} not found")
        return SenderCredentials(sender.phone_number_id, sender.access_token)


async def prove_ownership(ctx: AppContext, phone_number_id: str, access_token: str) -> None:
    """The token is shown to own the number: a Graph read of ``phone_number_id`` with it succeeds
    (issue 11 item 6). Raises InvalidInput when the provider refuses (a wrong token, a number
    the token cannot see: nothing is said about who else may have it), ServiceUnavailable when
    it could not answer now. Called before anything is stored, with no transaction open."""
    provider = ctx.provider
    try:
        await provider.get_phone_number(SenderCredentials(phone_number_id, access_token))
    except ProviderCallFailed as exc:
        if exc.error.kind == ErrorKind.SENDER_TRANSIENT:
            raise ServiceUnavailable(
                "the provider could not be asked whether this access token owns the number; "
                "try again"
            ) from None
        raise InvalidInput(
            f"access_token cannot read phone_number_id {phone_number_id} at the provider "
            f"({exc.error.title}): use the number's own token",
            field="access_token",
        ) from None


async def add_proven(ctx: AppContext, workspace_id: int, new: NewSender, *, actor: str) -> int:
    """Every door's way to add a number: prove the token owns it, then store it (PENDING until
    a sync confirms registration). Returns the sender's id."""
    await prove_ownership(ctx, new.phone_number_id, new.access_token)

    def write() -> int:
        with ctx.db.write() as session:
            return service.add_sender(
                session, workspace_id, new, actor=actor, now=ctx.clock.now()
            ).id

    return await asyncio.to_thread(write)


async def sync_sender(
    ctx: AppContext, sender_id: int, *, actor: str, workspace_id: int | None = None
) -> None:
    """Read the number's fields and apply them. A provider failure is recorded on the sender
    (the time, and the status a sender-level error implies) and raised as ProviderFailed."""
    creds = await asyncio.to_thread(_credentials, ctx, sender_id, workspace_id)
    provider = ctx.provider
    try:
        info = await provider.get_phone_number(creds)
    except Exception as exc:
        error = getattr(exc, "error", None)
        if not isinstance(error, ProviderError):
            # Whatever the adapter raised, it concerns this sender's call only: a provider
            # error for this sender (recorded, so it goes to the back of the line), never a
            # crash of the loop that syncs every sender.
            reason = set_aside(log, f"sync of sender {sender_id}", exc)
            error = ProviderError(
                kind=ErrorKind.SENDER_TRANSIENT, code=None, title=f"provider call failed: {reason}"
            )
        await asyncio.to_thread(_failed, ctx, sender_id, error, actor)
        raise ProviderFailed(f"the provider refused the sync: {error.title}") from None

    def apply() -> None:
        with ctx.db.write() as session:
            service.apply_reading(session, sender_id, info, actor=actor, now=ctx.clock.now())

    await asyncio.to_thread(apply)


def _failed(ctx: AppContext, sender_id: int, error: ProviderError, actor: str) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        repository.set_fields(session, sender_id, {"last_synced_at": now})
        service.on_send_error(session, sender_id, error, actor=actor, now=now)


async def sync_due(ctx: AppContext, every: timedelta) -> int:
    """Sync the senders not synced within ``every``; returns how many were read."""
    now = ctx.clock.now()

    def due() -> list[int]:
        with ctx.db.read() as session:
            return list(repository.due_for_sync(session, now - every))

    done = 0
    for sender_id in await asyncio.to_thread(due):
        try:
            await sync_sender(ctx, sender_id, actor="sync")
            done += 1
        except (ProviderFailed, NotFound) as exc:
            log.warning("sync of sender %s failed: %s", sender_id, exc)
        except Exception as exc:
            # Applying the reading failed (a value we cannot take): this sender is set aside
            # until its next turn, the senders behind it are synced all the same.
            set_aside(log, f"sync of sender {sender_id}", exc)
            await asyncio.to_thread(_mark_synced, ctx, sender_id)
    return done


def _mark_synced(ctx: AppContext, sender_id: int) -> None:
    with ctx.db.write() as session:
        repository.set_fields(session, sender_id, {"last_synced_at": ctx.clock.now()})
