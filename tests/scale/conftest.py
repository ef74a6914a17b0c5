"""Scale tests run each timeline store: the SQL table, and Redis when it is reachable.

Redis tests use 127.0.0.1:6379 (TOWNSQUARE_TEST_REDIS_URL), database 15, and a key prefix of
their own, deleted afterwards; they skip (fail in CI) when Redis is unreachable.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import missing
from townsquare.config import Settings
from townsquare.context import Context

REDIS_URL = os.environ.get("TOWNSQUARE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_url_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        missing("Redis", f"start it or set TOWNSQUARE_TEST_REDIS_URL (tried {REDIS_URL})")
    return REDIS_URL


def drop_prefix(url: str, prefix: str) -> None:
    import redis

    r = redis.Redis.from_url(url)
    keys = list(r.scan_iter(match=prefix + "*", count=1000))
    if keys:
        r.delete(*keys)


@pytest.fixture(params=["sql", "redis"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def prefix() -> str:
    return f"tstest:{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def settings(settings: Settings, store: str, prefix: str) -> Iterator[Settings]:
    extra = {"redis_prefix": prefix, "fanout_threshold": 4, "batch_size": 2,
             "claim_idle_ms": 1000}
    if store == "sql":
        yield settings.with_(extra=extra)
        return
    url = redis_url_or_skip()
    yield settings.with_(redis_url=url, extra=extra)
    drop_prefix(url, prefix)


@pytest.fixture
async def ctx(ctx: Context, request: pytest.FixtureRequest) -> AsyncIterator[Context]:
    """With Redis, a worker consumes the job stream beside the test (as `townsquare worker`),
    unless the test runs its own worker processes (marker `own_workers`)."""
    if not ctx.jobs.queue.distributed or request.node.get_closest_marker("own_workers"):
        yield ctx
        return
    stop = asyncio.Event()
    await ctx.jobs.start()
    worker = asyncio.create_task(ctx.jobs.queue.work(stop))
    yield ctx
    stop.set()
    await asyncio.wait_for(worker, 10)
    close = getattr(ctx.timelines, "close", None)
    if close is not None:
        await close()
