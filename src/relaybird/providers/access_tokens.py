"""Access tokens fetched from a provider and shared by every worker: one refresh at a time.

WeChat (and LINE's short-lived tokens) hand out a token per account that expires, and each new
fetch invalidates the previous one after a short overlap: two workers refreshing at once would
make each other's token stale. WeChat asks for one central holder that refreshes ahead of
expiry and on demand when a call reports the token invalid. Here the holder is a ``TokenStore``
row per account, and the protocol is:

- every token carries a ``version``, bumped by each save;
- a worker that needs a new token takes the row's refresh lease with a compare-and-set on the
  version it saw (``try_lease(seen_version=...)``): if another worker saved meanwhile, the
  version moved and the lease is refused, so the same stale token is never refreshed twice;
- the lease holder fetches, then ``save``s (version + 1, lease cleared) only while it still
  holds the lease; the others wait for the new version (or take over once the lease expires:
  a holder killed mid-fetch blocks nobody for longer than the lease);
- a forced refresh (the provider said "expired") names the version it found bad, so it refreshes
  only if that version is still the current one.

``MemoryTokenStore`` is the single-process implementation (tests, one worker); the database one
is ``relaybird.access_tokens.store.DbTokenStore``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from relaybird.kit.time import Clock, SystemClock

log = logging.getLogger("relaybird.providers.access_tokens")


@dataclass(frozen=True)
class StoredToken:
    account: str
    token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    version: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    version: int
    expires_at: datetime


@dataclass(frozen=True)
class Fetched:
    """What the provider answered: the token and how long it lives."""

    value: str = field(repr=False)
    expires_in: timedelta


class TokenStore(Protocol):
    async def load(self, account: str) -> StoredToken:
        """The account's row (an empty version-0 one when there is none yet)."""
        ...

    async def try_lease(
        self, account: str, *, seen_version: int, owner: str, now: datetime, ttl: timedelta
    ) -> bool:
        """Take the refresh lease iff the version is still ``seen_version`` and no live lease
        is held by someone else (compare-and-set)."""
        ...

    async def save(
        self, account: str, *, owner: str, token: str, expires_at: datetime, now: datetime
    ) -> bool:
        """Store a fetched token (version + 1, lease cleared) iff ``owner`` holds the lease."""
        ...

    async def release(self, account: str, *, owner: str) -> None:
        """Give the lease up without a token (the fetch failed)."""
        ...


class MemoryTokenStore:
    """The protocol in one process (an asyncio lock instead of a database row)."""

    def __init__(self) -> None:
        self._rows: dict[str, StoredToken] = {}
        self._lock = asyncio.Lock()

    async def load(self, account: str) -> StoredToken:
        async with self._lock:
            return self._rows.get(account) or StoredToken(account)

    async def try_lease(
        self, account: str, *, seen_version: int, owner: str, now: datetime, ttl: timedelta
    ) -> bool:
        async with self._lock:
            row = self._rows.get(account) or StoredToken(account)
            held = row.lease_owner not in (None, owner) and (
                row.lease_until is not None and row.lease_until > now
            )
            if row.version != seen_version or held:
                return False
            self._rows[account] = replace(row, lease_owner=owner, lease_until=now + ttl)
            return True

    async def save(
        self, account: str, *, owner: str, token: str, expires_at: datetime, now: datetime
    ) -> bool:
        async with self._lock:
            row = self._rows.get(account) or StoredToken(account)
            if row.lease_owner != owner:
                return False
            self._rows[account] = StoredToken(account, token, expires_at, row.version + 1)
            return True

    async def release(self, account: str, *, owner: str) -> None:
        async with self._lock:
            row = self._rows.get(account)
            if row is not None and row.lease_owner == owner:
                self._rows[account] = replace(row, lease_owner=None, lease_until=None)


Fetch = Callable[[], Awaitable[Fetched]]


class AccessTokens:
    """The tokens of every account this process uses, read through a shared ``TokenStore``.

    ``get`` answers from memory while the token is fresh (no store round trip per send);
    ``refresh_margin`` before expiry it refreshes (one worker fetches, the others keep using the
    old token, still valid, until the new one is saved).
    """

    def __init__(
        self,
        store: TokenStore,
        *,
        clock: Clock | None = None,
        refresh_margin: timedelta = timedelta(minutes=5),
        lease: timedelta = timedelta(seconds=30),
        poll: float = 0.05,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.refresh_margin = refresh_margin
        self.lease = lease
        self.poll = poll
        self.owner = owner or f"tokens-{uuid.uuid4().hex[:12]}"
        self._memo: dict[str, Token] = {}
        # One coroutine per account goes to the store at a time in this process (the store's
        # lease is per process: without this, concurrent sends would each fetch).
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    def _lock(self, account: str) -> asyncio.Lock:
        key = (id(asyncio.get_running_loop()), account)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def _fresh(self, token: Token | None, now: datetime, stale: int | None) -> bool:
        return (
            token is not None
            and token.version != stale
            and token.expires_at - self.refresh_margin > now
        )

    async def get(self, account: str, fetch: Fetch, *, stale_version: int | None = None) -> Token:
        """A usable token. ``stale_version``: the provider refused that one; refresh it unless
        another worker already did. Raises what ``fetch`` raises when it fails."""
        memo = self._memo.get(account)
        if self._fresh(memo, self.clock.now(), stale_version) and memo is not None:
            return memo
        async with self._lock(account):
            return await self._get(account, fetch, stale_version)

    async def _get(self, account: str, fetch: Fetch, stale_version: int | None) -> Token:
        memo = self._memo.get(account)
        if self._fresh(memo, self.clock.now(), stale_version) and memo is not None:
            return memo  # refreshed by the coroutine that held the lock before us
        deadline = self.clock.now() + 2 * self.lease
        delay = self.poll
        while True:
            now = self.clock.now()
            row = await self.store.load(account)
            current = _usable(row)
            if self._fresh(current, now, stale_version) and current is not None:
                self._memo[account] = current
                return current
            if await self.store.try_lease(
                account, seen_version=row.version, owner=self.owner, now=now, ttl=self.lease
            ):
                return await self._refresh(account, fetch)
            # Someone else is refreshing. Until their token is saved, the current one (inside the
            # margin but not expired, and not the one the provider refused) still works.
            if (
                current is not None
                and current.version != stale_version
                and current.expires_at > now
            ):
                return current
            if now > deadline:
                raise TimeoutError(f"no access token for {account}: a refresh is stuck")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _refresh(self, account: str, fetch: Fetch) -> Token:
        try:
            fetched = await fetch()
        except BaseException:
            await self.store.release(account, owner=self.owner)
            raise
        now = self.clock.now()
        expires_at = now + fetched.expires_in
        if not await self.store.save(
            account, owner=self.owner, token=fetched.value, expires_at=expires_at, now=now
        ):
            # Our lease expired mid-fetch and another worker took over; our token is valid
            # anyway (the provider keeps the previous one alive a few minutes), theirs wins.
            log.warning("access token for %s fetched after the lease was lost", account)
            return Token(fetched.value, -1, expires_at)
        row = await self.store.load(account)
        token = _usable(row) or Token(fetched.value, row.version, expires_at)
        self._memo[account] = token
        return token

    def forget(self, account: str) -> None:
        self._memo.pop(account, None)


def _usable(row: StoredToken) -> Token | None:
    if row.token is None or row.expires_at is None:
        return None
    return Token(row.token, row.version, row.expires_at)
