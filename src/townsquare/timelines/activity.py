"""Who is active: users.last_active_at, touched cheaply from the home timeline read.

A touch writes at most once an hour per user (and asks the database at most once an hour per
user per process). It reports whether the user had been away longer than the inactive period,
in which case pushes skipped them and their home timeline must be rebuilt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.model.clock import Clock, utc
from townsquare.store.db import Database
from townsquare.store.tables import users

log = logging.getLogger("townsquare.timelines")
# Bookkeeping writes still running, in every Activity of this process: `settle_all` lets the
# shutdown (JobRunner.stop, before the database is disposed) finish them instead of cutting
# them off mid-transaction.
_PENDING: set[asyncio.Task[None]] = set()
TOUCH_EVERY = timedelta(hours=1)
_MEMORY = 200_000  # users remembered per process before the memo is cleared


class Activity:
    def __init__(self, db: Database, clock: Clock, inactive_days: int) -> None:
        self._db = db
        self._clock = clock
        self._away = timedelta(days=inactive_days)
        self._seen: dict[int, datetime] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def touch(self, conn: AsyncConnection, viewer_id: int) -> bool:
        """Mark the viewer active; True if they come back from a long absence. Reads on the
        caller's connection; the write runs beside it (never a second connection held while
        waiting for another, which could exhaust the pool under load)."""
        now = self._clock.now()
        last = self._seen.get(viewer_id)
        if last is not None and now - last < TOUCH_EVERY:
            return False
        prev = (await conn.execute(
            select(func.coalesce(users.c.last_active_at, users.c.created_at))
            .where(users.c.account_id == viewer_id))).scalar_one_or_none()
        if prev is None:  # not a local user
            return False
        prev = utc(prev)
        if now - prev >= TOUCH_EVERY:
            self.spawn(self._mark(viewer_id, now))
        if len(self._seen) > _MEMORY:
            self._seen.clear()
        self._seen[viewer_id] = now
        return now - prev >= self._away

    async def _mark(self, viewer_id: int, now: datetime) -> None:
        # The timeline's own bookkeeping, not a user action: racing with another process
        # doing the same is harmless.
        async with self._db.write() as tx:
            await tx.execute(update(users).where(users.c.account_id == viewer_id)
                             .values(last_active_at=now))

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run bookkeeping writes beside the request; errors are logged, not raised."""
        task = asyncio.get_running_loop().create_task(self._guard(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)

    async def _guard(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("timeline bookkeeping failed")

    async def settle(self) -> None:
        """Wait for bookkeeping writes (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def settle_all(timeout: float = 10.0) -> None:
    """Wait (at most `timeout` seconds) for this event loop's bookkeeping writes."""
    loop = asyncio.get_running_loop()
    mine = [t for t in _PENDING if t.get_loop() is loop and not t.done()]
    if mine:
        await asyncio.wait(mine, timeout=timeout)
