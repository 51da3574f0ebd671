"""``AccessTokens``: cached, refreshed ahead of expiry, one refresh at a time, a forced refresh
of a token the provider refused happens once however many callers report it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from relaybird.kit.time import ManualClock
from relaybird.providers.access_tokens import AccessTokens, Fetched, MemoryTokenStore, TokenStore


class Provider:
    """Hands out token-1, token-2, ... and counts the fetches (optionally slowly, or failing)."""

    def __init__(self, life: timedelta = timedelta(hours=2)) -> None:
        self.count = 0
        self.life = life
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def fetch(self) -> Fetched:
        self.count += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("provider down")
        return Fetched(f"token-{self.count}", self.life)


def tokens(store: TokenStore, clock: ManualClock, **kw: object) -> AccessTokens:
    return AccessTokens(store, clock=clock, poll=0.001, **kw)  # type: ignore[arg-type]


def test_a_token_is_fetched_once_and_reused(clock: ManualClock) -> None:
    provider, cache = Provider(), tokens(MemoryTokenStore(), clock)

    async def go() -> list[str]:
        return [(await cache.get("wechat:a", provider.fetch)).value for _ in range(3)]

    assert asyncio.run(go()) == ["token-1"] * 3
    assert provider.count == 1


def test_it_is_refreshed_ahead_of_expiry(clock: ManualClock) -> None:
    provider, cache = (
        Provider(),
        tokens(MemoryTokenStore(), clock, refresh_margin=timedelta(minutes=5)),
    )

    async def go() -> list[str]:
        first = await cache.get("a", provider.fetch)
        clock.advance(timedelta(minutes=114))  # 6 minutes left: still fresh
        second = await cache.get("a", provider.fetch)
        clock.advance(timedelta(minutes=2))  # 4 minutes left: inside the margin
        third = await cache.get("a", provider.fetch)
        return [first.value, second.value, third.value]

    assert asyncio.run(go()) == ["token-1", "token-1", "token-2"]


def test_concurrent_callers_in_two_workers_share_one_fetch(clock: ManualClock) -> None:
    store, provider = MemoryTokenStore(), Provider()
    workers = [tokens(store, clock), tokens(store, clock)]

    async def go() -> set[str]:
        provider.gate = asyncio.Event()
        calls = [asyncio.create_task(w.get("a", provider.fetch)) for w in workers for _ in range(5)]
        await asyncio.sleep(0.01)
        provider.gate.set()
        return {t.value for t in await asyncio.gather(*calls)}

    assert asyncio.run(go()) == {"token-1"}
    assert provider.count == 1


def test_a_refused_token_is_refreshed_once_for_everyone(clock: ManualClock) -> None:
    store, provider = MemoryTokenStore(), Provider()
    a, b = tokens(store, clock), tokens(store, clock)

    async def go() -> list[str]:
        bad = await a.get("x", provider.fetch)
        await b.get("x", provider.fetch)
        # Both workers are told "42001" for the same token, one after the other.
        first = await a.get("x", provider.fetch, stale_version=bad.version)
        second = await b.get("x", provider.fetch, stale_version=bad.version)
        return [bad.value, first.value, second.value]

    assert asyncio.run(go()) == ["token-1", "token-2", "token-2"]
    assert provider.count == 2


def test_while_one_worker_refreshes_the_others_keep_the_old_token(clock: ManualClock) -> None:
    store, provider = MemoryTokenStore(), Provider()
    a, b = tokens(store, clock), tokens(store, clock)

    async def go() -> tuple[str, str]:
        await a.get("x", provider.fetch)
        clock.advance(timedelta(minutes=117))  # inside the margin, not expired
        provider.gate = asyncio.Event()
        refreshing = asyncio.create_task(a.get("x", provider.fetch))
        await asyncio.sleep(0.01)
        meanwhile = await b.get("x", provider.fetch)
        provider.gate.set()
        return meanwhile.value, (await refreshing).value

    assert asyncio.run(go()) == ("token-1", "token-2")
    assert provider.count == 2


def test_a_failed_fetch_releases_the_lease(clock: ManualClock) -> None:
    store, provider = MemoryTokenStore(), Provider()
    cache = tokens(store, clock)
    provider.fail = True

    async def go() -> str:
        with pytest.raises(RuntimeError):
            await cache.get("x", provider.fetch)
        provider.fail = False
        return (await cache.get("x", provider.fetch)).value

    assert asyncio.run(go()) == "token-2"


def test_a_dead_refresher_blocks_nobody_beyond_its_lease(clock: ManualClock) -> None:
    store, provider = MemoryTokenStore(), Provider()

    async def go() -> str:
        # A worker took the lease and died (kill -9) before saving anything.
        assert await store.try_lease(
            "x", seen_version=0, owner="dead", now=clock.now(), ttl=timedelta(seconds=30)
        )
        cache = tokens(store, clock)
        waiting = asyncio.create_task(cache.get("x", provider.fetch))
        await asyncio.sleep(0.01)
        assert not waiting.done() and provider.count == 0
        clock.advance(timedelta(seconds=31))
        return (await waiting).value

    assert asyncio.run(go()) == "token-1"
