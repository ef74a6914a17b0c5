"""At-least-once fan-out: a worker killed in the middle of a large fan-out loses nothing.

Two real `townsquare worker` processes share the Redis stream. The first is slowed down (each
batch push sleeps) and killed with SIGKILL part-way; the second claims the jobs the first had
taken but not acknowledged, and every follower ends up with the post exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from tests.scale.world import account, post
from townsquare.config import Settings
from townsquare.context import Context
from townsquare.store.tables import accounts, follows, users
from townsquare.timelines.redis import SENTINEL, member

FOLLOWERS = 1500
SLOW_WORKER = """
import asyncio, sys
from townsquare.timelines.redis import RedisHomeTimelines
push = RedisHomeTimelines.push
async def slow(self, ids, members):
    if len(ids) > 1:
        await asyncio.sleep(0.15)
    await push(self, ids, members)
RedisHomeTimelines.push = slow
from townsquare.cli import main
sys.exit(main(["worker", "--concurrency", "2", "--log-level", "warning"]))
"""


@pytest.fixture
def store() -> str:
    return "redis"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(extra={**settings.extra, "fanout_threshold": 100_000,
                                 "batch_size": 50})


@pytest.fixture
def worker_env(ctx: Context) -> Iterator[dict[str, str]]:
    env = dict(os.environ)
    s = ctx.settings
    env.update(TOWNSQUARE_DATABASE_URL=s.resolved_database_url, TOWNSQUARE_REDIS_URL=s.redis_url,
               TOWNSQUARE_DATA_DIR=str(s.data_dir), TOWNSQUARE_REDIS_PREFIX=s.extra["redis_prefix"],
               TOWNSQUARE_BATCH_SIZE="50", TOWNSQUARE_CLAIM_IDLE_MS="1000",
               TOWNSQUARE_FANOUT_THRESHOLD="100000")
    yield env


async def _followers(ctx: Context, author: int, n: int) -> list[int]:
    now = ctx.clock.now()
    ids = [ctx.ids.next() for _ in range(n)]
    async with ctx.db.write() as tx:
        await tx.execute(insert(accounts), [
            {"id": i, "username": f"f{k}", "username_lower": f"f{k}", "display_name": "",
             "note": "", "note_html": "", "bot": False, "locked": False, "discoverable": True,
             "role": "user", "followers_count": 0, "following_count": 1, "statuses_count": 0,
             "created_at": now, "updated_at": now} for k, i in enumerate(ids)])
        await tx.execute(insert(users), [
            {"account_id": i, "email": f"f{k}@example.org", "password_hash": "x",
             "locale": "en", "default_visibility": "public", "default_sensitive": False,
             "created_at": now, "last_active_at": now - timedelta(minutes=5)}
            for k, i in enumerate(ids)])
        await tx.execute(insert(follows), [
            {"id": ctx.ids.next(), "account_id": i, "target_account_id": author,
             "show_reblogs": True, "notify": False, "created_at": now} for i in ids])
        await tx.execute(update(accounts).where(accounts.c.id == author)
                         .values(followers_count=n))
    return ids


@pytest.mark.own_workers
async def test_killed_worker_mid_fan_out_still_delivers_exactly_once(
        ctx: Context, worker_env: dict[str, str], tmp_path: Path) -> None:
    tl = ctx.timelines
    redis = tl.redis  # type: ignore[attr-defined]
    author = await account(ctx, "author")
    followers = await _followers(ctx, author, FOLLOWERS)
    async with redis.pipeline(transaction=False) as pipe:  # every follower has a timeline
        for f in followers:
            pipe.zadd(tl.key(f), {SENTINEL: 0})  # type: ignore[attr-defined]
        await pipe.execute()


    cwd = str(Path(__file__).resolve().parents[2])
    slow = subprocess.Popen([sys.executable, "-c", SLOW_WORKER], env=worker_env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = -1
    try:
        sid = await post(ctx, author, "breaking news")
        m = member(sid, author, author)

        async def delivered() -> int:
            async with redis.pipeline(transaction=False) as pipe:
                for f in followers:
                    pipe.zscore(tl.key(f), m)  # type: ignore[attr-defined]
                return sum(s is not None for s in await pipe.execute())

        for _ in range(400):
            killed_at = await delivered()
            if killed_at >= 200:
                break
            await asyncio.sleep(0.05)
        slow.send_signal(signal.SIGKILL)
        slow.wait(10)
        killed_at = await delivered()
        assert 0 < killed_at < FOLLOWERS, "the kill must land in the middle of the fan-out"
        assert await ctx.jobs.queue.backlog() > 0
    finally:
        if slow.poll() is None:
            slow.kill()
    healthy = subprocess.Popen([sys.executable, "-m", "townsquare.cli", "worker",
                                "--log-level", "warning"], env=worker_env, cwd=cwd)
    try:
        await ctx.jobs.queue.drain(timeout=60)
        assert await delivered() == FOLLOWERS
        for f in followers[:50] + followers[-50:]:
            entries = await redis.zrange(tl.key(f), 0, -1)  # type: ignore[attr-defined]
            assert [e for e in entries if e.startswith(f"{sid:020d}:")] == [m]
    finally:
        healthy.send_signal(signal.SIGTERM)
        healthy.wait(20)
