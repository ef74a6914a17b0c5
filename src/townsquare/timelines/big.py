"""The accounts whose posts are merged at read time: those above the fan-out threshold.

The set is small (followers / threshold at most) and cached per process for a minute, so a
home page pays nothing when the viewer follows none of them and one indexed query when they do.
Reading the set scans the accounts (no index on followers_count: every follow updates it), so
one request re-reads it when it expires while the others keep the set they have: before, every
request in flight at that moment scanned them too (a million accounts: ~0.1-0.3 s each).
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.store.tables import accounts, follows

TTL = 60.0


class BigAccounts:
    def __init__(self, threshold: int, ttl: float = TTL) -> None:
        self.threshold = threshold
        self._ttl = ttl
        self._ids: frozenset[int] = frozenset()
        self._at = float("-inf")
        self._loading: asyncio.Future[None] | None = None  # set while a request reads it
        self.loads = 0  # how many times the set was read (tests)

    async def all(self, conn: AsyncConnection) -> frozenset[int]:
        while True:
            if time.monotonic() - self._at <= self._ttl:
                return self._ids
            loading = self._loading
            if loading is None:
                return await self._load(conn)
            if self._at > float("-inf"):  # being re-read: the set of a minute ago will do
                return self._ids
            # The first read, by another request: wait for it, then look again (it may have
            # failed or been cancelled, and then this request reads the set itself).
            await asyncio.wait([loading])

    async def _load(self, conn: AsyncConnection) -> frozenset[int]:
        loading = self._loading = asyncio.get_running_loop().create_future()
        try:
            rows = await conn.execute(select(accounts.c.id).where(
                accounts.c.followers_count >= self.threshold))
            self._ids = frozenset(r for (r,) in rows.all())
            self._at = time.monotonic()
            self.loads += 1
        finally:
            self._loading = None
            loading.set_result(None)
        return self._ids

    async def followed_by(self, conn: AsyncConnection, viewer_id: int,
                          following: frozenset[int] | None = None) -> list[int]:
        """The big accounts the viewer follows; `following`: whom they follow, when the
        caller knows it (the reader's cached relations), saves the query."""
        big = await self.all(conn)
        if not big:
            return []
        if following is not None:
            return sorted(big & following)
        rows = await conn.execute(select(follows.c.target_account_id).where(
            follows.c.account_id == viewer_id, follows.c.target_account_id.in_(big)))
        return [r for (r,) in rows.all()]
