"""Redis is a cache of the database: flushed or restarted, no post is lost."""

from __future__ import annotations

import pytest

from tests.scale.test_hybrid import home
from tests.scale.world import account, follow, post
from townsquare.context import Context


@pytest.mark.parametrize("store", ["redis"])
async def test_flushdb_then_read_gives_the_same_timeline(ctx: Context, store: str) -> None:
    reader, a, b = [await account(ctx, n) for n in ("reader", "a", "b")]
    await follow(ctx, reader, a)
    await follow(ctx, reader, b)
    await home(ctx, reader)
    posts = [await post(ctx, author, f"post {i}") for i in range(30) for author in (a, b)]
    posts.append(await post(ctx, a, "@reader private", visibility="direct"))
    await ctx.jobs.drain()
    before = await home(ctx, reader)
    assert before == list(reversed(posts))[:40]

    await ctx.timelines.redis.flushdb()  # type: ignore[attr-defined]
    assert await ctx.timelines.redis.dbsize() == 0  # type: ignore[attr-defined]
    assert await home(ctx, reader) == before
    assert await home(ctx, reader, max_id=before[-1]) == list(reversed(posts))[40:]
    # Pushes land again once the timeline is back.
    await ctx.jobs.queue.start()
    after = await post(ctx, b, "after the flush")
    await ctx.jobs.drain()
    assert (await home(ctx, reader))[:2] == [after, before[0]]
