"""The accounts whose posts are merged at read time: those above the fan-out threshold.

The set is small (followers / threshold at most) and cached per process for a minute, so a
home page pays nothing when the viewer follows none of them and one indexed query when they do.
Reading the set scans the accounts (no index on followers_count: every follow updates it;
0.1-0.3 s on a million accounts), so no request waits for it but the process's first: when it
expires, it is read again in the background on a connection of its own while requests keep
the set they have. Before, every request in flight at that moment scanned the accounts.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.store.db import Database
from townsquare.store.tables import accounts, follows

TTL = 60.0
log = logging.getLogger("townsquare.timelines")


class BigAccounts:
    def __init__(self, threshold: int, db: Database | None = None, ttl: float = TTL) -> None:
        self.threshold = threshold
        self._db = db  # None: the request that finds the set expired reads it
        self._ttl = ttl
        self._ids: frozenset[int] = frozenset()
        self._at = float("-inf")
        self._loading: asyncio.Future[None] | None = None  # set while the set is being read
        self._refresh: asyncio.Task[None] | None = None
        self.loads = 0  # how many times the set was read (tests)

    async def all(self, conn: AsyncConnection) -> frozenset[int]:
        while True:
            if time.monotonic() - self._at <= self._ttl:
                return self._ids
            loading = self._loading
            if loading is None:
                if self._at == float("-inf"):
                    return await self._load(conn)  # the first read: the caller waits
                if self._db is None:
                    return await self._load(conn)
                self._start_refresh(self._db)
                return self._ids
            if self._at > float("-inf"):  # being re-read: the set of a minute ago will do
                return self._ids
            # The first read, by another request: wait for it, then look again (it may have
            # failed or been cancelled, and then this request reads the set itself).
            await asyncio.wait([loading])

    def _start_refresh(self, db: Database) -> None:
        mine = self._loading = asyncio.get_running_loop().create_future()  # taken at once

        async def refresh() -> None:
            try:
                async with db.read() as conn:
                    await self._load(conn)
            except Exception as exc:  # the next request past the minute tries again
                log.warning("reading the accounts above the fan-out threshold failed: %s", exc)
            finally:
                if self._loading is mine:  # failed before reading: let the next one try
                    self._loading = None
                    mine.set_result(None)

        self._refresh = asyncio.get_running_loop().create_task(refresh())

    async def _load(self, conn: AsyncConnection) -> frozenset[int]:
        loading = self._loading
        if loading is None or loading.done():
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
