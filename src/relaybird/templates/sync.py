"""Reading a business account's template catalogue from the Graph API
(``GET /{waba-id}/message_templates``, every page) and applying it: on demand (API, CLI) and as
a scheduler job.

Three short transactions, never one held across the network: read the credentials; call the
provider; apply what it listed. A crash between them loses nothing but a reading.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from relaybird.context import AppContext
from relaybird.errors import InvalidInput, NotFound
from relaybird.providers.port import ProviderError, SenderCredentials, TemplateCatalogue
from relaybird.templates import repository, service
from relaybird.templates.errors import CatalogueUnavailable
from relaybird.templates.service import SyncResult

log = logging.getLogger("relaybird.templates")

PROVIDER_KEY = "template_catalogue"


def catalogue_provider(ctx: AppContext) -> TemplateCatalogue:
    """The process's adapter for catalogue reads and media uploads (tests may put their own in
    ``ctx.resources``); it belongs to the event loop that first uses it."""
    provider = ctx.resources.get(PROVIDER_KEY)
    if provider is None:
        from relaybird.providers.whatsapp.client import WhatsAppCloudClient

        provider = WhatsAppCloudClient(ctx.settings.graph_api_url, ctx.settings.graph_api_version)
        ctx.resources[PROVIDER_KEY] = provider
    result: TemplateCatalogue = provider
    return result


@dataclass(frozen=True)
class _Account:
    workspace_id: int
    waba_id: str
    credentials: SenderCredentials


def _account_of_sender(ctx: AppContext, workspace_id: int, sender_id: int) -> _Account:
    with ctx.db.read() as session:
        sender = repository.sender(session, workspace_id, sender_id)
        if sender is None:
            raise NotFound(f"sender {sender_id} not found")
        if not sender.waba_id:
            raise InvalidInput(
                f"sender {sender_id} has no waba_id: templates belong to a WhatsApp Business "
                "Account; add the number with its waba_id"
            )
        return _Account(
            workspace_id,
            sender.waba_id,
            SenderCredentials(sender.phone_number_id, sender.access_token),
        )


def _account(ctx: AppContext, workspace_id: int, waba_id: str) -> _Account | None:
    with ctx.db.read() as session:
        sender = repository.sender_for_waba(session, workspace_id, waba_id)
        if sender is None:
            return None
        return _Account(
            workspace_id, waba_id, SenderCredentials(sender.phone_number_id, sender.access_token)
        )


async def _sync(
    ctx: AppContext, account: _Account, provider: TemplateCatalogue, *, actor: str
) -> SyncResult:
    try:
        items = await provider.list_templates(account.credentials, account.waba_id)
    except Exception as exc:
        error = getattr(exc, "error", None)
        if not isinstance(error, ProviderError):
            raise
        await asyncio.to_thread(_failed, ctx, account, error)
        raise CatalogueUnavailable(
            f"the provider refused the template catalogue read: {error.title}",
            provider_code=error.code,
        ) from None

    def apply() -> SyncResult:
        with ctx.db.write() as session:
            return service.apply_catalogue(
                session,
                account.workspace_id,
                account.waba_id,
                items,
                actor=actor,
                now=ctx.clock.now(),
            )

    result = await asyncio.to_thread(apply)
    log.info(
        "templates of %s: %d listed, %d new, %d moved, %d deleted",
        account.waba_id,
        result.total,
        result.created,
        result.moved,
        result.deleted,
    )
    return result


def _failed(ctx: AppContext, account: _Account, error: ProviderError) -> None:
    with ctx.db.write() as session:
        service.record_sync_failure(
            session,
            account.workspace_id,
            account.waba_id,
            f"{error.code}: {error.title}",
            now=ctx.clock.now(),
        )


async def sync_sender_templates(
    ctx: AppContext, workspace_id: int, sender_id: int, *, actor: str
) -> SyncResult:
    """Read the catalogue of ``sender_id``'s business account now (through its token)."""
    account = await asyncio.to_thread(_account_of_sender, ctx, workspace_id, sender_id)
    return await _sync(ctx, account, catalogue_provider(ctx), actor=actor)


async def sync_due(
    ctx: AppContext, provider: TemplateCatalogue, *, every: timedelta, limit: int = 20
) -> int:
    """Sync the accounts not read within ``every_seconds`` (or marked due by an edit webhook),
    stalest first; one failing account never stops the others. Returns how many were read."""
    now = ctx.clock.now()

    def due() -> list[tuple[int, str]]:
        with ctx.db.read() as session:
            return repository.due_accounts(session, now - every, limit)

    done = 0
    for workspace_id, waba_id in await asyncio.to_thread(due):
        account = await asyncio.to_thread(_account, ctx, workspace_id, waba_id)
        if account is None:
            continue
        try:
            await _sync(ctx, account, provider, actor="scheduler")
            done += 1
        except CatalogueUnavailable as exc:
            log.warning("template sync of %s failed: %s", waba_id, exc.detail)
    return done


def sync_job(ctx: AppContext) -> int:
    """The scheduler job ``templates.sync`` (runs in a worker thread, scheduler/jobs.py): its own
    event loop and HTTP session for the run, closed at the end, so it never shares the API's."""
    from relaybird.providers.whatsapp.client import WhatsAppCloudClient

    every = ctx.settings.template_sync_interval
    with ctx.db.read() as session:
        if not repository.due_accounts(session, ctx.clock.now() - every, 1):
            return 0

    async def run() -> int:
        client = WhatsAppCloudClient(ctx.settings.graph_api_url, ctx.settings.graph_api_version)
        try:
            return await sync_due(ctx, client, every=every)
        finally:
            await client.close()

    return asyncio.run(run())
