"""Reading a business account's template catalogue from the Graph API
(``GET /{waba-id}/message_templates``, every page) and applying it: on demand (API, CLI) and as
a scheduler job.

Three short transactions, never one held across the network: read the credentials; call the
provider; apply what it listed. A crash between them loses nothing but a reading.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from relaybird.context import AppContext, Local
from relaybird.errors import InvalidInput, found
from relaybird.providers.port import ProviderError, SenderCredentials, TemplateCatalogue
from relaybird.templates import repository, service
from relaybird.templates.errors import CatalogueUnavailable
from relaybird.templates.service import SyncResult

log = logging.getLogger("relaybird.templates")


@dataclass(frozen=True)
class _Account:
    workspace_id: int
    waba_id: str
    credentials: SenderCredentials


def _account_of_sender(ctx: AppContext, workspace_id: int, sender_id: int) -> _Account:
    with ctx.db.read() as session:
        sender = found(repository.sender(session, workspace_id, sender_id), f"sender {sender_id}")
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
        if error.unknown_object:
            # A definite answer about the request's own data, not a failure of the provider.
            raise InvalidInput(
                f"the provider knows no WhatsApp Business Account {account.waba_id!r} that this "
                f"sender's token can read ({error.title}); correct the sender's waba_id",
                provider_code=error.code,
            ) from None
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
    return await _sync(ctx, account, ctx.catalogue, actor=actor)


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
        except (CatalogueUnavailable, InvalidInput) as exc:  # an unknown account: 422 at the door
            log.warning("template sync of %s failed: %s", waba_id, exc.detail)
    return done


def run_due(ctx: AppContext) -> int:
    """One pass over the due accounts with a client of its own (its own event loop: it runs in
    a thread, never on the API's loop), closed at the end. Returns how many were read."""
    from relaybird.providers.whatsapp.client import WhatsAppCloudClient

    async def run() -> int:
        client = WhatsAppCloudClient(
            ctx.settings.graph_api_url,
            ctx.settings.graph_api_version,
            timeout=ctx.settings.send_timeout.total_seconds(),
        )
        try:
            return await sync_due(ctx, client, every=ctx.settings.template_sync_interval)
        finally:
            await client.close()

    return asyncio.run(run())


class _Runner:
    """The process's one background catalogue sync (``ctx.local(RUNNER)``): the scheduler
    job starts it and returns at once, so reading a large catalogue (60 pages for Meta's 6,000
    templates) never holds up the scheduler's other jobs; a pass still running is not started
    twice. Closing waits briefly for it; a sync cut short loses nothing (three transactions)."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._thread = threading.Thread(target=self._run, name="templates.sync", daemon=True)
            self._thread.start()
            return True

    def _run(self) -> None:
        try:
            run_due(self._ctx)
        except Exception:
            log.exception("template catalogue sync failed")

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        self.join(5.0)


RUNNER = Local("templates.sync_runner", _Runner)


def sync_job(ctx: AppContext) -> int:
    """The scheduler job ``templates.sync`` (relaybird/wiring.py): when an account is due, start
    the background pass (``run_due``) and return how many accounts are due."""
    with ctx.db.read() as session:
        due = repository.due_accounts(
            session, ctx.clock.now() - ctx.settings.template_sync_interval
        )
    if not due:
        return 0
    ctx.local(RUNNER).start()
    return len(due)
