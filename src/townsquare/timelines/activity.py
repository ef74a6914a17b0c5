"""Who is active: users.last_active_at, touched cheaply from the home timeline read.

A touch writes at most once an hour per user (and asks the database at most once an hour per
user per process). It reports whether the user had been away longer than the inactive period,
in which case pushes skipped them and their home timeline must be rebuilt.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from townsquare.model.clock import Clock, utc
from townsquare.store.db import Database
from townsquare.store.tables import users

TOUCH_EVERY = timedelta(hours=1)
_MEMORY = 200_000  # users remembered per process before the memo is cleared


class Activity:
    def __init__(self, db: Database, clock: Clock, inactive_days: int) -> None:
        self._db = db
        self._clock = clock
        self._away = timedelta(days=inactive_days)
        self._seen: dict[int, datetime] = {}

    async def touch(self, viewer_id: int) -> bool:
        """Mark the viewer active; True if they come back from a long absence."""
        now = self._clock.now()
        last = self._seen.get(viewer_id)
        if last is not None and now - last < TOUCH_EVERY:
            return False
        async with self._db.read() as conn:
            prev = (await conn.execute(
                select(func.coalesce(users.c.last_active_at, users.c.created_at))
                .where(users.c.account_id == viewer_id))).scalar_one_or_none()
        if prev is None:  # not a local user
            return False
        prev = utc(prev)
        if now - prev >= TOUCH_EVERY:
            # The write is the timeline's own bookkeeping, not a user action: it may race with
            # another process doing the same, which is harmless.
            async with self._db.write() as tx:
                await tx.execute(update(users).where(users.c.account_id == viewer_id)
                                 .values(last_active_at=now))
        if len(self._seen) > _MEMORY:
            self._seen.clear()
        self._seen[viewer_id] = now
        return now - prev >= self._away
