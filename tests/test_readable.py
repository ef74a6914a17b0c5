"""Which timeline entries a reader may see: the Redis store asks `truth.keep_readable`, which
applies the rule in SQL or, given the reader's cached relations, in Python after one key
lookup. Both must keep exactly the same ids, for every reader, whatever blocks, mutes
(running or expired), deletions, reposts and followers-only or direct posts are involved."""

from __future__ import annotations

from sqlalchemy import select

from tests.scale.world import account, follow, post
from townsquare.actions import interactions, relationships
from townsquare.actions.statuses import delete_status
from townsquare.context import Context
from townsquare.queries.viewer_cache import viewer_cache
from townsquare.store.tables import statuses, users
from townsquare.timelines import truth


async def test_python_and_sql_keep_the_same_entries(ctx: Context) -> None:
    ann, ben, cat, dan, eve = [await account(ctx, n) for n in ("ann", "ben", "cat", "dan",
                                                               "eve")]
    await follow(ctx, ann, ben)
    await follow(ctx, ann, cat)
    await follow(ctx, eve, ann)
    ids = []
    for who in (ann, ben, cat, dan, eve):
        ids.append(await post(ctx, who, f"public {who}"))
        ids.append(await post(ctx, who, f"private {who}", visibility="private"))
        ids.append(await post(ctx, who, f"@ann direct {who}", visibility="direct"))
        ids.append(await post(ctx, who, f"@ann private mention {who}", visibility="private"))
        ids.append(await post(ctx, who, f"@ben direct not ann {who}", visibility="direct"))
    ids.append(await interactions.reblog(ctx, ben, ids[15]))  # ben reposts dan's public
    ids.append(await interactions.reblog(ctx, cat, ids[0]))  # cat reposts ann's public
    gone = await post(ctx, ben, "soon deleted")
    ids.append(gone)
    await delete_status(ctx, ben, gone)
    await relationships.block(ctx, dan, ann)  # dan blocks ann: dan's posts hidden from ann
    await relationships.mute(ctx, ann, eve, duration=60)  # expires
    await relationships.mute(ctx, ben, cat)
    ctx.clock.advance(120)  # type: ignore[attr-defined]  # ann's mute of eve has run out
    now = ctx.clock.now()
    cache = viewer_cache(ctx.extras)
    compared = 0
    for reader in (ann, ben, cat, dan, eve):
        async with ctx.db.read() as conn:
            version = (await conn.execute(select(users.c.relations_version).where(
                users.c.account_id == reader))).scalar_one()
            rel = await cache.relations(conn, reader, version)
            by_sql = await truth.keep_readable(conn, reader, ids, now)
            by_python = await truth.keep_readable(conn, reader, ids, now, rel.hidden(now),
                                                  rel.following)
        assert by_python == by_sql, reader
        compared += len(by_sql)
    assert compared > 40  # the readers see a fair part of it: not a vacuous comparison
    async with ctx.db.read() as conn:
        existing = {r for (r,) in await conn.execute(select(statuses.c.id))}
    assert gone not in existing
