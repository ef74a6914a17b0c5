"""Database.read() keeps its connections between reads: a read that fails, or is cancelled
while the database is still answering (a client that went away), must not hand a broken or
busy connection to the next one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from townsquare.context import Context


async def _ping(ctx: Context) -> int:
    async with ctx.db.read() as conn:
        return int((await conn.execute(text("SELECT 1"))).scalar_one())


async def test_reads_after_errors_and_cancellations(ctx: Context) -> None:
    slow = "SELECT 1" if ctx.db.is_sqlite else "SELECT pg_sleep(2)"

    async def held(raw: bool) -> None:
        async with ctx.db.read() as conn:
            if raw and not ctx.db.is_sqlite:  # as the hot statements run (store/fast.py)
                driver = conn.sync_connection.connection.driver_connection  # type: ignore
                await driver.fetch(slow)
            else:
                await conn.execute(text(slow))
            await asyncio.sleep(5)  # SQLite answers at once: cancelled while holding it

    for n in range(4):
        task = asyncio.create_task(held(raw=n % 2 == 0))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(Exception, match=r"no such table|does not exist"):
            async with ctx.db.read() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
        assert [await _ping(ctx) for _ in range(20)] == [1] * 20
    assert len(ctx.db._readers) <= 16
