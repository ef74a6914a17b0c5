"""Database.read() keeps its connections between reads: a read that fails, or is cancelled
while the database is still answering (a client that went away), must not hand a broken or
busy connection to the next one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from townsquare.config import Settings
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


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(db_pool=4)  # PostgreSQL: a small pool, to reach its limit at once


async def test_a_pool_of_idle_readers_leaves_writes_a_connection(ctx: Context) -> None:
    """As many reads in flight as the pool holds, then a write: the idle readers kept for
    the next reads must not take every connection (the post writer waited for one)."""
    release = asyncio.Event()

    async def read() -> None:
        async with ctx.db.read() as conn:
            await conn.execute(text("SELECT 1"))
            await release.wait()

    readers = [asyncio.create_task(read()) for _ in range(4)]
    await asyncio.sleep(0.2)
    release.set()
    await asyncio.gather(*readers)
    async with asyncio.timeout(5):
        async with ctx.db.write() as tx:
            await tx.execute(text("SELECT 1"))
    assert await _ping(ctx) == 1
