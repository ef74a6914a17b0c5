"""The accounts whose posts are merged at read time: those above the fan-out threshold.

The set is small (followers / threshold at most) and cached per process for a minute, so a
home page pays nothing when the viewer follows none of them and one indexed query when they do.
"""

from __future__ import annotations

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

    def forget(self) -> None:
        self._at = float("-inf")

    async def all(self, conn: AsyncConnection) -> frozenset[int]:
        if time.monotonic() - self._at > self._ttl:
            rows = await conn.execute(select(accounts.c.id).where(
                accounts.c.followers_count >= self.threshold))
            self._ids = frozenset(r for (r,) in rows.all())
            self._at = time.monotonic()
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
