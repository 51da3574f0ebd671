"""Group commit: many concurrent POSTs, each answered only after its body is committed."""

from __future__ import annotations

import asyncio
import hashlib

import aiohttp

from relaybird.inbox.repository import NewEvent
from relaybird.inbox.writer import InboxWriter
from tests.fixtures.live_server import LiveServer
from tests.inbox.helpers import inbox_rows, signed, status, statuses_body


def test_concurrent_posts_are_all_stored_durably_before_200(live_server: LiveServer) -> None:
    bodies = [statuses_body([status(f"wamid.{i}", "sent")]) for i in range(200)]
    bodies += bodies[:20]  # Meta's retries: duplicates are stored once

    async def post_all() -> list[int]:
        async with aiohttp.ClientSession() as http:

            async def post(raw: bytes) -> int:
                async with http.post(
                    live_server.whatsapp_webhook_url, data=raw, headers=signed(raw)
                ) as response:
                    return response.status

            return await asyncio.gather(*(post(b) for b in bodies))

    assert set(asyncio.run(post_all())) == {200}
    stored = inbox_rows(live_server.ctx)
    assert len(stored) == 200
    assert {r.body for r in stored} == set(bodies)


def test_a_failed_commit_fails_every_waiting_request(live_server: LiveServer) -> None:
    writer = InboxWriter(live_server.ctx.db)

    def broken(_events: list[NewEvent]) -> None:
        raise RuntimeError("disk full")

    writer._write = broken  # type: ignore[method-assign]

    async def main() -> list[BaseException | None]:
        events = [
            NewEvent(
                "whatsapp",
                hashlib.sha256(b"%d" % i).hexdigest(),
                b"{}",
                live_server.ctx.clock.now(),
            )
            for i in range(5)
        ]
        results = await asyncio.gather(*(writer.store(e) for e in events), return_exceptions=True)
        await writer.close()
        return [r if isinstance(r, BaseException) else None for r in results]

    errors = asyncio.run(main())
    assert all(isinstance(e, RuntimeError) for e in errors)
    assert inbox_rows(live_server.ctx) == []
