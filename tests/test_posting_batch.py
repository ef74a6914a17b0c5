"""Group commit: posts made at the same moment are written together, and still each post is
checked, refused, counted and delivered on its own.

Run on SQLite and PostgreSQL, with home timelines in SQL and in Redis.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import Client
from tests.scale.conftest import drop_prefix, redis_url_or_skip
from tests.scale.world import account, follow
from townsquare.actions.errors import Invalid, NotFound
from townsquare.actions.statuses import NewStatus, create_status
from townsquare.config import Settings
from townsquare.context import Context
from townsquare.store.db import Tx
from townsquare.store.tables import accounts, home_timeline, notifications, statuses


@pytest.fixture(params=["sql", "redis"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(settings: Settings, store: str) -> Iterator[Settings]:
    prefix = f"tstest:{uuid.uuid4().hex[:8]}:"
    extra = {"redis_prefix": prefix, "fanout_threshold": 50, "claim_idle_ms": 1000}
    if store == "sql":
        yield settings.with_(extra=extra)
        return
    url = redis_url_or_skip()
    yield settings.with_(redis_url=url, extra=extra)
    drop_prefix(url, prefix)


@pytest.fixture
async def ctx(ctx: Context) -> AsyncIterator[Context]:
    """With Redis, a worker consumes the fan-out jobs beside the test."""
    if not ctx.jobs.queue.distributed:
        yield ctx
        return
    stop = asyncio.Event()
    await ctx.jobs.start()
    worker = asyncio.create_task(ctx.jobs.queue.work(stop))
    yield ctx
    stop.set()
    await asyncio.wait_for(worker, 10)
    await ctx.timelines.close()  # type: ignore[attr-defined]


async def stored(ctx: Context, reader: int) -> set[int]:
    """The ids a reader's stored home timeline holds (no merging, no rebuild)."""
    tl: Any = ctx.timelines
    if hasattr(tl, "redis"):
        return {int(m.split(":")[0]) for m in await tl.redis.zrange(tl.key(reader), 0, -1)} - {0}
    async with ctx.db.read() as conn:
        return {r for (r,) in (await conn.execute(select(home_timeline.c.status_id).where(
            home_timeline.c.account_id == reader))).all()}


async def build_timelines(ctx: Context, readers: list[int]) -> None:
    """Redis only pushes into timelines that exist: build them (empty) first."""
    tl: Any = ctx.timelines
    if hasattr(tl, "redis"):
        async with ctx.db.read() as conn:
            for r in readers:
                await tl.rebuild(conn, r)


async def test_concurrent_posts_are_each_delivered_counted_and_kept_private(
        ctx: Context) -> None:
    alice, bob, carol, dave, erin = [await account(ctx, n)
                                     for n in ("alice", "bob", "carol", "dave", "erin")]
    for reader in (bob, carol):
        await follow(ctx, reader, alice)
    await follow(ctx, dave, bob)
    readers = [alice, bob, carol, dave, erin]
    await build_timelines(ctx, readers)

    plan: list[tuple[int, str, str]] = []  # author, visibility, text
    for i in range(6):
        plan += [(alice, "public", f"alice public {i} #batch"),
                 (alice, "unlisted", f"alice unlisted {i}"),
                 (alice, "private", f"alice followers-only {i} @dave"),
                 (alice, "direct", f"alice to @carol {i}"),
                 (bob, "public", f"bob public {i} @erin"),
                 (bob, "direct", f"bob to @erin {i}")]
    with ctx.db.counting() as together:
        ids = await asyncio.gather(*(create_status(ctx, a, NewStatus(text=t, visibility=v))
                                     for a, v, t in plan))
    await ctx.jobs.drain()
    posted = dict(zip(ids, plan, strict=True))
    assert len(set(ids)) == len(plan)

    def expected(reader: int) -> set[int]:
        out = set()
        for sid, (author, vis, text) in posted.items():
            followed = (reader, author) in {(bob, alice), (carol, alice), (dave, bob)}
            name = {alice: "alice", bob: "bob", carol: "carol", dave: "dave", erin: "erin"}
            mentioned = f"@{name[reader]}" in text
            if reader == author or (vis != "direct" and followed) \
                    or (vis in ("private", "direct") and mentioned):
                out.add(sid)
        return out

    for reader in readers:
        assert await stored(ctx, reader) == expected(reader), reader

    async with ctx.db.read() as conn:
        counts = dict((await conn.execute(select(accounts.c.id, accounts.c.statuses_count)
                                          .where(accounts.c.id.in_([alice, bob])))).all())
        texts = (await conn.execute(select(statuses.c.text))).scalars().all()
        mentions = (await conn.execute(select(func.count()).select_from(notifications).where(
            notifications.c.type == "mention"))).scalar_one()
    assert counts == {alice: 12, bob: 6}  # public and unlisted only
    assert sorted(texts) == sorted(t for _, _, t in plan)  # each exactly once
    assert mentions == 6 * 4  # dave, carol, erin, erin

    # Written together: far fewer statements than one post at a time.
    with ctx.db.counting() as alone:
        for a, v, t in plan[:6]:
            await create_status(ctx, a, NewStatus(text=t + " again", visibility=v))
    assert together[0] < alone[0] * len(plan) / 6 / 2, (together[0], alone[0])


async def test_a_refused_post_fails_alone_and_leaves_nothing(ctx: Context) -> None:
    alice, bob, mallory = [await account(ctx, n) for n in ("alice", "bob", "mallory")]
    await follow(ctx, bob, alice)
    await build_timelines(ctx, [bob])
    secret = await create_status(ctx, alice, NewStatus(text="followers only",
                                                       visibility="private"))
    good = [create_status(ctx, alice, NewStatus(text=f"fine {i}")) for i in range(5)]
    bad = [
        # A reply to a post mallory may not see: not found, and no trace of the reply.
        create_status(ctx, mallory, NewStatus(text="bad reply", in_reply_to_id=secret)),
        # Media that is not mallory's.
        create_status(ctx, mallory, NewStatus(text="bad media", media_ids=[12345])),
        # A database error (no such application) fails the batch's transaction: the others
        # are written again one by one, and only this post fails.
        create_status(ctx, mallory, NewStatus(text="bad app", application_id=424242)),
    ]
    results = await asyncio.gather(*good, *bad, return_exceptions=True)
    ok, errors = results[:5], results[5:]
    assert all(isinstance(r, int) for r in ok), ok
    assert isinstance(errors[0], NotFound)
    assert isinstance(errors[1], Invalid)
    assert isinstance(errors[2], Exception) and not isinstance(errors[2], (NotFound, Invalid))
    await ctx.jobs.drain()

    async with ctx.db.read() as conn:
        texts = (await conn.execute(select(statuses.c.text))).scalars().all()
        counts = dict((await conn.execute(select(accounts.c.id, accounts.c.statuses_count)))
                      .all())
        replies = (await conn.execute(select(statuses.c.replies_count)
                                      .where(statuses.c.id == secret))).scalar_one()
    assert sorted(texts) == sorted(["followers only"] + [f"fine {i}" for i in range(5)])
    assert counts[alice] == 5 and counts[mallory] == 0 and replies == 0
    assert await stored(ctx, bob) >= set(ok)  # type: ignore[arg-type]


@pytest.mark.parametrize("store", ["sql"])  # on Redis the delivery is not in the transaction
async def test_a_database_error_in_the_delivery_fails_only_its_post(
        ctx: Context, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The delivery (on SQLite run off the event loop, store/db.py Tx.executemany) fails for
    one author's post, with a real database error (a NULL status id): the batch is rolled
    back whole and written again post by post, and only that post fails, leaving nothing."""
    alice, bob, mallory = [await account(ctx, n) for n in ("alice", "bob", "mallory")]
    await follow(ctx, bob, alice)
    await follow(ctx, bob, mallory)
    await build_timelines(ctx, [bob])
    real = Tx.executemany

    async def poisoned(self: Tx, statement: Any, params: list[dict[str, Any]]) -> None:
        params = [{**p, "d_status": None} if p.get("d_author") == mallory else p
                  for p in params]
        await real(self, statement, params)

    monkeypatch.setattr(Tx, "executemany", poisoned)
    results = await asyncio.gather(
        *(create_status(ctx, alice, NewStatus(text=f"fine {i}")) for i in range(5)),
        create_status(ctx, mallory, NewStatus(text="poisoned")), return_exceptions=True)
    monkeypatch.undo()
    ok, error = results[:5], results[5]
    assert all(isinstance(r, int) for r in ok), results
    assert isinstance(error, Exception) and not isinstance(error, (NotFound, Invalid)), error
    await ctx.jobs.drain()
    async with ctx.db.read() as conn:
        texts = (await conn.execute(select(statuses.c.text))).scalars().all()
        counts = dict((await conn.execute(select(accounts.c.id, accounts.c.statuses_count)))
                      .all())
    assert sorted(texts) == [f"fine {i}" for i in range(5)]
    assert counts[alice] == 5 and counts[mallory] == 0
    assert await stored(ctx, bob) == set(ok)
    # The writer goes on: the next post of the same author is written.
    again = await create_status(ctx, mallory, NewStatus(text="fine now"))
    await ctx.jobs.drain()
    assert again in await stored(ctx, bob)


async def test_refused_posts_answer_4xx_beside_concurrent_good_ones(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    secret = (await client.post_status(alice, "mine", visibility="direct"))["id"]
    calls = [client.post("/api/v1/statuses", as_=alice, json={"status": f"ok {i}"})
             for i in range(4)]
    calls.append(client.post("/api/v1/statuses", as_=bob,
                             json={"status": "no", "in_reply_to_id": secret}))
    calls.append(client.post("/api/v1/statuses", as_=bob,
                             json={"status": "no", "media_ids": ["777"]}))
    answers = await asyncio.gather(*calls)
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 404, 422]
    assert all("error" in r.json() for r in answers[4:])
    assert sorted(r.json()["content"] for r in answers[:4]) == [f"<p>ok {i}</p>"
                                                                for i in range(4)]
    async with client.ctx.db.read() as conn:
        n = (await conn.execute(select(func.count()).select_from(statuses))).scalar_one()
    assert n == 5


async def test_a_post_costs_the_same_queries_whatever_the_follower_count(
        ctx: Context) -> None:
    few, many = await account(ctx, "few"), await account(ctx, "many")
    fans = [await account(ctx, f"fan{i}") for i in range(12)]
    await follow(ctx, fans[0], few)
    for fan in fans:
        await follow(ctx, fan, many)
    await build_timelines(ctx, fans)
    costs = {}
    for who in (few, many):
        await create_status(ctx, who, NewStatus(text="warm #tag"))
        with ctx.db.counting() as n:
            await create_status(ctx, who, NewStatus(text="counted #tag"))
        costs[who] = n[0]
    await ctx.jobs.drain()
    assert costs[few] == costs[many], costs
    # begin (SQLite), authors, status, tag, counter, delivery, the authors' rows for the answer
    assert costs[few] <= 7, costs
    held = [len(await stored(ctx, f)) for f in fans]
    assert held == [4] + [2] * (len(fans) - 1), held
