"""``DbTokenStore`` on SQLite and PostgreSQL: the compare-and-set lease, and several workers
(separate connection pools, as separate processes would have) sharing one refresh — against
the WeChat simulator too."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from relaybird.access_tokens.store import DbTokenStore
from relaybird.context import AppContext
from relaybird.db import Database
from relaybird.kit.sealing import SecretBox, new_key
from relaybird.kit.time import ManualClock
from relaybird.providers.access_tokens import AccessTokens, Fetched
from relaybird.providers.channel import OutboundText
from relaybird.providers.wechat.client import WeChatAccount, WeChatChannel
from tests.fixtures.simulator import SimHandle

TTL = timedelta(seconds=30)


def test_the_lease_is_a_compare_and_set_on_the_version(ctx: AppContext, clock: ManualClock) -> None:
    store = DbTokenStore(ctx.db)
    now = clock.now()

    async def go() -> None:
        assert (await store.load("wechat:a")).version == 0
        assert await store.try_lease("wechat:a", seen_version=0, owner="w1", now=now, ttl=TTL)
        assert not await store.try_lease("wechat:a", seen_version=0, owner="w2", now=now, ttl=TTL)
        assert not await store.save("wechat:a", owner="w2", token="t2", expires_at=now, now=now)
        assert await store.save("wechat:a", owner="w1", token="t1", expires_at=now + TTL, now=now)
        row = await store.load("wechat:a")
        assert (row.token, row.version, row.lease_owner) == ("t1", 1, None)
        # w2 saw version 0: w1's refresh already happened, so w2 may not refresh again.
        assert not await store.try_lease("wechat:a", seen_version=0, owner="w2", now=now, ttl=TTL)
        assert await store.try_lease("wechat:a", seen_version=1, owner="w2", now=now, ttl=TTL)
        # A lease left by a dead worker is taken over once it expires.
        later = now + TTL + timedelta(seconds=1)
        assert await store.try_lease("wechat:a", seen_version=1, owner="w3", now=later, ttl=TTL)
        await store.release("wechat:a", owner="w3")
        assert (await store.load("wechat:a")).lease_owner is None

    asyncio.run(go())


def test_with_a_box_tokens_are_stored_sealed(ctx: AppContext, clock: ManualClock) -> None:
    box = SecretBox([new_key()])
    store = DbTokenStore(ctx.db, box)
    now = clock.now()

    async def go() -> None:
        assert await store.try_lease("wechat:b", seen_version=0, owner="w1", now=now, ttl=TTL)
        assert await store.save(
            "wechat:b", owner="w1", token="tok-1", expires_at=now + TTL, now=now
        )
        assert (await store.load("wechat:b")).token == "tok-1"
        raw = await DbTokenStore(ctx.db).load("wechat:b")  # what the table holds
        assert raw.token is not None and "tok-1" not in raw.token and box.open(raw.token) == "tok-1"
        # Another key (or a plain token from before): no token, so it is fetched again.
        other = await DbTokenStore(ctx.db, SecretBox([new_key()])).load("wechat:b")
        assert (other.token, other.expires_at, other.version) == (None, None, 1)

    asyncio.run(go())


def test_workers_on_separate_pools_share_one_fetch(ctx: AppContext, clock: ManualClock) -> None:
    databases = [Database(ctx.db.url, pool_size=2) for _ in range(3)]
    count = 0

    async def fetch() -> Fetched:
        nonlocal count
        count += 1
        await asyncio.sleep(0.05)  # a slow provider: the others must wait, not fetch too
        return Fetched(f"token-{count}", timedelta(hours=2))

    async def go() -> set[str]:
        workers = [AccessTokens(DbTokenStore(db), clock=clock, poll=0.005) for db in databases]
        got = await asyncio.gather(*(w.get("wechat:b", fetch) for w in workers for _ in range(3)))
        first = got[0]
        again = await asyncio.gather(
            *(w.get("wechat:b", fetch, stale_version=first.version) for w in workers)
        )
        return {t.value for t in got} | {t.value for t in again}

    try:
        assert asyncio.run(go()) == {"token-1", "token-2"}
        assert count == 2
    finally:
        for db in databases:
            db.dispose()


def test_wechat_workers_refresh_an_expired_token_once(
    ctx: AppContext, simulator: SimHandle
) -> None:
    app = "wx00000000000000aa"
    simulator.request(
        "POST", "/_sim/wechat/accounts", {"app_id": app, "app_secret": "s", "token": "t"}
    )
    simulator.request("POST", "/_sim/wechat/message", {"app_id": app, "openid": "o1", "text": "hi"})
    account = WeChatAccount(app, "s", "t")
    databases = [Database(ctx.db.url, pool_size=2) for _ in range(2)]

    async def go() -> list[bool]:
        channels = [
            WeChatChannel(simulator.url + "/wechat", AccessTokens(DbTokenStore(db), poll=0.005))
            for db in databases
        ]
        try:
            results = [await channels[0].send_text(account, OutboundText("o1", "first"))]
            await asyncio.to_thread(
                simulator.request, "POST", "/_sim/wechat/expire-token", {"app_id": app}
            )
            results += await asyncio.gather(
                *(c.send_text(account, OutboundText("o1", f"w{i}")) for i, c in enumerate(channels))
            )
            return [r.accepted for r in results]
        finally:
            for c in channels:
                await c.close()

    try:
        assert asyncio.run(go()) == [True, True, True]
    finally:
        for db in databases:
            db.dispose()
    state = simulator.request("GET", f"/_sim/wechat/state?app_id={app}")
    assert state["token_fetches"] == 2  # the first token and exactly one refresh
    assert sorted(s["content"] for s in state["sent"]) == ["first", "w0", "w1"]
