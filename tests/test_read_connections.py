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


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite's pool waits by itself
async def test_requests_beyond_the_pool_are_handed_connections_in_turn(ctx: Context) -> None:
    """Ten times the pool in flight: each waits its turn (first come, first served), none
    is refused, the process never has more connections than the pool, and those cancelled
    while waiting (or just as a connection was handed to them) lose no connection."""
    order: list[int] = []
    gate = asyncio.Event()

    async def read(n: int) -> None:
        async with ctx.db.read() as conn:
            order.append(n)
            assert ctx.db._out <= 4
            await conn.execute(text("SELECT 1"))
            await gate.wait()

    first = [asyncio.create_task(read(n)) for n in range(4)]
    await asyncio.sleep(0.1)
    waiting = [asyncio.create_task(read(n)) for n in range(4, 40)]
    await asyncio.sleep(0.1)
    assert len(ctx.db._waiters) == 36
    doomed = waiting[::5]  # cancelled while in line
    for task in doomed:
        task.cancel()
    gate.set()
    await asyncio.gather(*first, *waiting, return_exceptions=True)
    assert all(t.cancelled() for t in doomed)
    served = [n for n in order if n >= 4]
    assert served == sorted(served) and len(served) == 36 - len(doomed)
    assert ctx.db._out <= 4
    # Cancelled just as a connection was handed over: the connection goes to the next.
    held = [await ctx.db._acquire() for _ in range(4)]  # the whole pool
    unlucky = asyncio.create_task(ctx.db._acquire())
    lucky = asyncio.create_task(ctx.db._acquire())
    await asyncio.sleep(0.05)
    assert len(ctx.db._waiters) == 2
    assert ctx.db._give(*held[0])  # handed to the first in line ...
    unlucky.cancel()  # ... cancelled before it ran again
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    assert (await asyncio.wait_for(lucky, 5)) == held[0]
    for conn, raw in held:
        await ctx.db._release(conn, raw)
    assert len(ctx.db._readers) == ctx.db._out == 4 and not ctx.db._waiters
    async with ctx.db.read() as conn:
        backends = (await conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = '' AND backend_type = 'client backend'"))).scalar_one()
    assert backends <= 5  # the pool's four, and the test harness's own at most


async def test_a_refused_write_keeps_its_connection(ctx: Context) -> None:
    """A write rolled back by an error (a refused action) gives its connection back for
    the next request instead of closing it."""
    out = ctx.db._out
    for _ in range(3):
        with pytest.raises(ValueError):
            async with ctx.db.write() as tx:
                await tx.execute(text("SELECT 1"))
                raise ValueError("refused")
    assert await _ping(ctx) == 1
    if not ctx.db.is_sqlite:
        assert ctx.db._out == max(out, 1) and len(ctx.db._readers) >= 1


async def test_a_spare_connection_is_one_at_hand_or_none(ctx: Context) -> None:
    """Database.spare() (a For you page's second connection) never waits: with every
    connection of the pool (4) held it gives none, and the held ones still serve; on SQLite
    it gives none at all."""
    async with ctx.db.spare() as spare:
        if ctx.db.is_sqlite:
            assert spare is None
            return
        assert spare is not None
        assert (await spare.execute(text("SELECT 2"))).scalar_one() == 2
    release = asyncio.Event()
    holding = 0

    async def hold() -> None:
        nonlocal holding
        async with ctx.db.read() as conn:
            await conn.execute(text("SELECT 1"))
            holding += 1
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(4)]
    for _ in range(200):
        if holding == 4:
            break
        await asyncio.sleep(0.01)
    assert holding == 4
    async with asyncio.timeout(2):  # at once, not after a wait in line
        async with ctx.db.spare() as spare:
            assert spare is None
    release.set()
    await asyncio.gather(*tasks)
    async with ctx.db.spare() as spare:  # one of the four, idle again
        assert spare is not None
    assert [await _ping(ctx) for _ in range(8)] == [1] * 8
