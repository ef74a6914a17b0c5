"""The home page's shared Redis connection (timelines/redis_wire.py), against a real Redis:
replies matched to their callers under concurrency, the URL's database, errors, a killed
connection, a caller that times out, and the page's way back to redis-py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tests.scale.conftest import redis_url_or_skip
from tests.scale.test_hybrid import home
from tests.scale.world import account, follow, post
from townsquare.context import Context
from townsquare.timelines import redis_wire
from townsquare.timelines.redis_wire import RedisWire, Unavailable


@pytest.fixture
async def plain(prefix: str) -> Any:
    r = aioredis.Redis.from_url(redis_url_or_skip(), decode_responses=True)
    yield r
    keys = [k async for k in r.scan_iter(match=prefix + "*")]
    if keys:
        await r.delete(*keys)
    await r.aclose()


@pytest.fixture
def prefix() -> str:
    import uuid

    return f"tswire:{uuid.uuid4().hex[:8]}:"


async def test_replies_reach_their_callers(plain: Any, prefix: str) -> None:
    wire = RedisWire(redis_url_or_skip())
    try:
        assert await wire.call("SET", prefix + "k", "v") == "OK"
        assert await plain.get(prefix + "k") == "v"  # the URL's database (15), selected
        replies = await asyncio.gather(*(wire.call("ECHO", f"n{i}") for i in range(500)))
        assert replies == [f"n{i}" for i in range(500)]
        with pytest.raises(ResponseError, match="unknown command"):
            await wire.call("NO_SUCH_COMMAND")
        assert await wire.call("EVAL", "return {KEYS[1], tonumber(ARGV[1]) + 1, {}}", 1,
                               "a", 41) == ["a", 42, []]
    finally:
        wire.close()


async def test_a_killed_connection_is_replaced(plain: Any) -> None:
    wire = RedisWire(redis_url_or_skip())
    try:
        first = await wire.call("CLIENT", "ID")
        killed = await plain.execute_command("CLIENT", "KILL", "ID", first)
        assert killed == 1
        for _ in range(100):  # until the loss reaches this side
            if wire._proto is None or wire._proto.lost:
                break
            await asyncio.sleep(0.01)
        second = await wire.call("CLIENT", "ID")
        assert second != first and await wire.call("PING") == "PONG"
    finally:
        wire.close()


async def test_a_caller_that_gets_no_reply_in_time(plain: Any, prefix: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    wire = RedisWire(redis_url_or_skip())
    monkeypatch.setattr(redis_wire, "TIMEOUT", 0.2)
    try:
        with pytest.raises(Unavailable):
            await wire.call("BLPOP", prefix + "empty", 2)  # blocks this connection only
        assert await wire.call("ECHO", "after") == "after"  # a fresh one, in step
    finally:
        wire.close()


async def test_only_plain_urls() -> None:
    for url in ("rediss://127.0.0.1:6379/0", "unix:///tmp/no.sock"):
        with pytest.raises(Unavailable):
            await RedisWire(url).call("PING")


@pytest.mark.parametrize("store", ["redis"])
async def test_the_page_reads_through_the_wire_and_falls_back(
        ctx: Context, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    reader, author = await account(ctx, "reader"), await account(ctx, "author")
    await follow(ctx, reader, author)
    await home(ctx, reader)
    posts = [await post(ctx, author, f"p{i}") for i in range(5)]
    await ctx.jobs.drain()
    expected = list(reversed(posts))
    timelines: Any = ctx.timelines

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("redis-py's path was taken")

    with monkeypatch.context() as m:  # the wire alone serves the page
        m.setattr(timelines, "_read_script", broken)
        assert await home(ctx, reader) == expected
    await timelines.redis.script_flush()  # as after a restart: NOSCRIPT, then redis-py loads it
    assert await home(ctx, reader) == expected
    with monkeypatch.context() as m:
        m.setattr(timelines, "_read_script", broken)
        assert await home(ctx, reader) == expected  # loaded again: the wire serves it

    async def down(*args: Any) -> Any:
        raise Unavailable("down")

    monkeypatch.setattr(timelines._wire, "call", down)
    assert await home(ctx, reader) == expected  # redis-py carries it


def test_on_the_servers_event_loop() -> None:
    """uvicorn runs on uvloop, whose transports are not asyncio's classes."""
    uvloop = pytest.importorskip("uvloop")
    url = redis_url_or_skip()

    async def main() -> list[Any]:
        wire = RedisWire(url)
        try:
            return list(await asyncio.gather(*(wire.call("ECHO", i) for i in range(64))))
        finally:
            wire.close()

    assert uvloop.run(main()) == [str(i) for i in range(64)]


@pytest.mark.parametrize("store", ["redis"])
async def test_a_warm_page_is_one_redis_command_however_many_lists(
        ctx: Context, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's timeline and every followed big account's list in one script call (two
    commands per list cost more Python than the page's rendering)."""
    reader = await account(ctx, "reader")
    stars = [await account(ctx, f"star{i}") for i in range(3)]
    fans = [await account(ctx, f"fan{i}") for i in range(4)]
    for star in stars:
        await follow(ctx, reader, star)
        for fan in fans:  # above the threshold of 4
            await follow(ctx, fan, star)
    await home(ctx, reader)
    posts = [await post(ctx, star, f"{star} {i}") for i in range(3) for star in stars]
    await ctx.jobs.drain()
    assert await home(ctx, reader) == list(reversed(posts))  # warm: every list built

    timelines: Any = ctx.timelines
    calls: list[tuple[Any, ...]] = []
    wire_call = timelines._wire.call

    async def counted(*args: Any) -> Any:
        calls.append(args)
        return await wire_call(*args)

    async def other(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"another Redis command: {args}")

    monkeypatch.setattr(timelines._wire, "call", counted)
    monkeypatch.setattr(timelines.redis, "execute_command", other)
    assert await home(ctx, reader) == list(reversed(posts))
    # home() reads the page twice (without and with the reader's cached relations): the
    # second merges the three lists, in the same single call.
    assert [c[0] for c in calls] == ["EVALSHA", "EVALSHA"]
    assert calls[1][2] == 1 + len(stars)  # keys: the reader's timeline and each list


async def test_commands_of_one_loop_turn_go_out_in_one_write(plain: Any) -> None:
    wire = RedisWire(redis_url_or_skip())
    try:
        assert await wire.call("PING") == "PONG"
        proto = wire._proto
        assert proto is not None
        writes: list[bytes] = []
        write = proto.transport.write

        def counted(data: bytes) -> None:
            writes.append(data)
            write(data)

        proto.transport.write = counted
        replies = await asyncio.gather(*(wire.call("ECHO", f"n{i}") for i in range(50)))
        assert replies == [f"n{i}" for i in range(50)]
        assert len(writes) == 1 and writes[0].count(b"ECHO") == 50
        assert await wire.call("ECHO", "alone") == "alone"  # the next turn's own write
        assert len(writes) == 2
    finally:
        wire.close()
