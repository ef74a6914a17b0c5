"""The set of accounts merged at read time (timelines/big.py): read once when it expires,
however many requests are in flight, and never lost to a read that failed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text, update

from tests.helpers import Client
from townsquare.context import Context
from townsquare.store.tables import accounts
from townsquare.timelines.big import BigAccounts


async def test_read_again_in_the_background(ctx: Context, client: Client) -> None:
    alice = await client.user("alice")
    async with ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == int(alice.id))
                         .values(followers_count=5))
    big = BigAccounts(threshold=5, db=ctx.db)

    async def ask() -> frozenset[int]:
        async with ctx.db.read() as conn:
            return await big.all(conn)

    assert await ask() == frozenset({int(alice.id)}) and big.loads == 1
    async with ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == int(alice.id))
                         .values(followers_count=0))
    big._at -= 61.0
    # Expired: every request keeps the set it has while it is read again on the side.
    assert await asyncio.gather(*(ask() for _ in range(5))) == [frozenset({int(alice.id)})] * 5
    assert big._refresh is not None
    await big._refresh
    assert await ask() == frozenset() and big.loads == 2


async def test_one_read_for_concurrent_requests(ctx: Context, client: Client) -> None:
    alice = await client.user("alice")
    await client.user("bob")
    async with ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == int(alice.id))
                         .values(followers_count=5))
    big = BigAccounts(threshold=5, ttl=60.0)

    async def ask() -> frozenset[int]:
        async with ctx.db.read() as conn:
            return await big.all(conn)

    # The first read: every request waits for the one that reads the set.
    first = await asyncio.gather(*(ask() for _ in range(8)))
    assert first == [frozenset({int(alice.id)})] * 8 and big.loads == 1

    # Expired: one request re-reads it; the others keep the set they had meanwhile.
    async with ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == int(alice.id))
                         .values(followers_count=0))
    big._at -= 61.0
    again = await asyncio.gather(*(ask() for _ in range(8)))
    assert big.loads == 2
    assert frozenset() in again  # the request that re-read it
    assert all(s in (frozenset(), frozenset({int(alice.id)})) for s in again)
    assert await ask() == frozenset() and big.loads == 2  # fresh again: no more reads


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite's reads never wait for a lock
async def test_a_cancelled_first_read_is_taken_over(ctx: Context, client: Client) -> None:
    alice = await client.user("alice")
    async with ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == int(alice.id))
                         .values(followers_count=9))
    big = BigAccounts(threshold=5)

    async def ask() -> frozenset[int]:
        async with ctx.db.read() as conn:
            return await big.all(conn)

    async with ctx.db.write() as tx:  # holds the accounts: the first read waits for it
        await tx.execute(text("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"))
        reader = asyncio.create_task(ask())
        await asyncio.sleep(0.2)
        waiting = [asyncio.create_task(ask()) for _ in range(3)]
        await asyncio.sleep(0.2)
        assert not any(t.done() for t in (reader, *waiting))
        reader.cancel()  # the client went away
        with pytest.raises(asyncio.CancelledError):
            await reader
    # One of those that waited reads the set instead, and the others get it.
    assert await asyncio.gather(*waiting) == [frozenset({int(alice.id)})] * 3
    assert big.loads == 1
