"""``DbTokenStore``: the ``TokenStore`` protocol on the database, for every worker process.

Each call is one short transaction in a thread (``asyncio.to_thread``): the event loop never
waits on the database, and no transaction is open while the token is fetched over HTTP (the
lease, not a lock, keeps the other workers out meanwhile). With a ``box`` (RELAYBIRD_SECRET_KEY)
the tokens are stored sealed; one the box cannot open (another key, or stored before sealing)
reads as no token, so it is fetched again.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from relaybird.access_tokens import repository
from relaybird.db import Database
from relaybird.kit.sealing import SealError, SecretBox
from relaybird.providers.access_tokens import StoredToken


class DbTokenStore:
    def __init__(self, db: Database, box: SecretBox | None = None) -> None:
        self.db = db
        self.box = box

    async def load(self, account: str) -> StoredToken:
        def read() -> StoredToken:
            with self.db.read() as session:
                return repository.load(session, account)

        stored = await asyncio.to_thread(read)
        if self.box is None or stored.token is None:
            return stored
        try:
            return replace(stored, token=self.box.open(stored.token))
        except SealError:
            return replace(stored, token=None, expires_at=None)

    async def try_lease(
        self, account: str, *, seen_version: int, owner: str, now: datetime, ttl: timedelta
    ) -> bool:
        def write() -> bool:
            with self.db.write() as session:
                repository.ensure(session, account)
                return repository.try_lease(
                    session,
                    account,
                    seen_version=seen_version,
                    owner=owner,
                    now=now,
                    until=now + ttl,
                )

        return await asyncio.to_thread(write)

    async def save(
        self, account: str, *, owner: str, token: str, expires_at: datetime, now: datetime
    ) -> bool:
        kept = token if self.box is None else self.box.seal(token)

        def write() -> bool:
            with self.db.write() as session:
                return repository.save(
                    session, account, owner=owner, token=kept, expires_at=expires_at, now=now
                )

        return await asyncio.to_thread(write)

    async def release(self, account: str, *, owner: str) -> None:
        def write() -> None:
            with self.db.write() as session:
                repository.release(session, account, owner=owner)

        await asyncio.to_thread(write)
