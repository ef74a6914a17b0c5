"""Hybrid fan-out: the same home timeline whether entries were pushed, pulled or rebuilt,
on the SQL store and on Redis, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import insert, select

from tests.scale.world import account, follow, make_inactive, post
from townsquare.actions.interactions import reblog
from townsquare.actions.statuses import delete_status
from townsquare.context import Context
from townsquare.queries.viewer_cache import viewer_cache
from townsquare.store.tables import home_timeline, statuses, users
from townsquare.timelines.base import Entry, PageQuery


async def stored_ids(ctx: Context, account_id: int) -> set[int]:
    """What the store itself holds for a reader (no merging, no rebuilding)."""
    tl = ctx.timelines
    if hasattr(tl, "redis"):
        members = await tl.redis.zrange(tl.key(account_id), 0, -1)
        return {int(m.split(":")[0]) for m in members} - {0}
    async with ctx.db.read() as conn:
        return {r for (r,) in (await conn.execute(select(home_timeline.c.status_id).where(
            home_timeline.c.account_id == account_id))).all()}


async def home(ctx: Context, viewer: int, **bounds: int) -> list[int]:
    async with ctx.db.read() as conn:
        page = await ctx.timelines.page(conn, PageQuery(viewer, 40, **bounds))
    await ctx.timelines.settle()  # type: ignore[attr-defined]  # rebuild writes, if any
    # The same page as the API asks for it, with the reader's cached relations (the stores
    # then filter without asking the database, and on Redis read the big accounts' entries
    # from their lists in Redis instead of the database).
    async with ctx.db.read() as conn:
        version = (await conn.execute(select(users.c.relations_version).where(
            users.c.account_id == viewer))).scalar_one()
        relations = await viewer_cache(ctx.extras).relations(conn, viewer, version)
        probed: dict[int, object] = {}
        cached = await ctx.timelines.page(conn, PageQuery(
            viewer, 40, hidden=relations.hidden(ctx.clock.now()),
            following=relations.following, probed=probed,
            quiet_reposts=relations.quiet_reposts, **bounds))
    assert cached == page
    assert set(page) <= set(probed)  # the renderer gets every post's counters
    return page


async def test_push_pull_and_rebuild_give_the_same_timeline(ctx: Context) -> None:
    small, star, pushed, away = [await account(ctx, n) for n in
                                 ("small", "star", "pushed", "away")]
    fans = [await account(ctx, f"fan{i}") for i in range(2)]
    for reader in (pushed, away):
        await follow(ctx, reader, small)
        await follow(ctx, reader, star)
    for fan in fans:
        await follow(ctx, fan, star)
    await make_inactive(ctx, away)
    assert await home(ctx, pushed) == []  # builds the active reader's timeline

    expected = []
    for i in range(3):
        expected.append(await post(ctx, small, f"small public {i}"))
        expected.append(await post(ctx, star, f"star public {i}"))
    expected.append(await post(ctx, small, "small private", visibility="private"))
    expected.append(await post(ctx, star, "star unlisted", visibility="unlisted"))
    expected.append(await post(ctx, star, "star private", visibility="private"))
    expected.append(await post(ctx, small, "@pushed @away psst", visibility="direct"))
    expected.append(await post(ctx, star, "@pushed @away hi", visibility="direct"))
    expected.append(await post(ctx, star, "reply to self", in_reply_to_id=expected[1]))
    not_for_them = await post(ctx, small, "@fan0 only", visibility="direct")
    await ctx.jobs.drain()
    expected.reverse()

    async with ctx.db.read() as conn:
        star_posts = {r for (r,) in (await conn.execute(select(statuses.c.id).where(
            statuses.c.account_id == star, statuses.c.visibility != "direct"))).all()}
    assert len(star_posts) == 6
    assert star_posts.isdisjoint(await stored_ids(ctx, pushed)), "the star is pulled, not pushed"
    directs = {expected[1], expected[2]}  # delivered to the mentioned on the SQL store
    assert await stored_ids(ctx, away) <= directs, "inactive readers get no follower pushes"
    assert not_for_them not in expected

    from_push = await home(ctx, pushed)
    from_rebuild = await home(ctx, away)
    assert from_push == expected
    assert from_rebuild == expected
    assert await stored_ids(ctx, away) >= set(expected) - star_posts  # rebuilt and kept

    # Paging crosses pushed and pulled entries the same way.
    assert await home(ctx, pushed, max_id=expected[3]) == expected[4:]
    assert await home(ctx, away, since_id=expected[5]) == expected[:5]
    async with ctx.db.read() as conn:
        assert await ctx.timelines.page(conn, PageQuery(pushed, 3, min_id=expected[6])) \
            == expected[3:6]


async def test_big_accounts_entries_from_their_lists(ctx: Context) -> None:
    """A big account's entries are the same from its Redis list as from the database: its
    reposts only for the readers who want them, its deleted posts gone, its list built
    again when lost, and paging through them by every bound."""
    reader, quiet, star, other = [await account(ctx, n) for n in ("reader", "quiet", "star",
                                                                   "other")]
    await follow(ctx, reader, star)
    await follow(ctx, reader, other)
    await follow(ctx, quiet, star, reblogs=False)
    for i in range(4):  # above the threshold of 4: the star's posts are merged when read
        await follow(ctx, await account(ctx, f"fan{i}"), star)
    assert await home(ctx, reader) == await home(ctx, quiet) == []
    theirs = await post(ctx, other, "other's")
    own = [await post(ctx, star, f"star {i}") for i in range(30)]
    gone = await post(ctx, star, "deleted soon")
    repost = await reblog(ctx, star, theirs)
    followers_only = await post(ctx, star, "followers only", visibility="private")
    await delete_status(ctx, star, gone)
    await ctx.jobs.drain()
    expected = [followers_only, repost, *own[::-1], theirs]
    assert await home(ctx, reader) == expected
    assert await home(ctx, quiet) == [followers_only, *own[::-1]]
    assert await home(ctx, reader, max_id=own[20]) == [*own[:20][::-1], theirs]
    assert await home(ctx, reader, since_id=own[25]) == expected[:6]
    if hasattr(ctx.timelines, "redis"):
        lists = ctx.timelines
        members = await lists.redis.zrange(lists.author_key(star), 0, -1)
        assert {int(m.split(":")[0]) for m in members} >= {repost, followers_only, *own}
        await lists.redis.delete(lists.author_key(star))  # lost (evicted, flushed)
        assert await home(ctx, reader) == expected
        assert await lists.redis.exists(lists.author_key(star))
    await ctx.jobs.queue.start()
    later = await post(ctx, star, "later")  # pushed into the list, which exists again
    await ctx.jobs.drain()
    assert (await home(ctx, reader))[:2] == [later, followers_only]


async def test_big_lists_read_up_to_the_readers_full_timeline(ctx: Context) -> None:
    """When the reader's own timeline fills the page, the big accounts' lists are read only
    down to its last entry (up to it, paging upwards): the pages are the same as from the
    whole lists, whichever side the big accounts' posts fall on."""
    reader, small, star, moon = [await account(ctx, n) for n in ("reader", "small", "star",
                                                                  "moon")]
    for who in (small, star, moon):
        await follow(ctx, reader, who)
    for i in range(4):  # above the threshold of 4: star and moon are merged when read
        fan = await account(ctx, f"fan{i}")
        await follow(ctx, fan, star)
        await follow(ctx, fan, moon)
    assert await home(ctx, reader) == []
    every = []
    for i in range(70):  # 70 pushed posts: the page of 40 (45 read) is full from them
        every.append(await post(ctx, small, f"small {i}"))
        if i % 4 == 0:
            every.append(await post(ctx, star, f"star {i}"))
        if i % 9 == 0:
            every.append(await post(ctx, moon, f"moon {i}"))
    await ctx.jobs.drain()
    newest = sorted(every, reverse=True)
    assert await home(ctx, reader) == newest[:40]
    assert await home(ctx, reader, max_id=newest[39]) == newest[40:80]
    assert await home(ctx, reader, since_id=newest[50]) == newest[:40]
    oldest = sorted(every)
    assert await home(ctx, reader, min_id=oldest[3]) == oldest[4:44][::-1]
    assert await home(ctx, reader, min_id=oldest[3], max_id=oldest[20]) == \
        oldest[4:20][::-1]


async def test_a_big_accounts_page_reads_past_reposts_a_reader_turned_off(ctx: Context
                                                                          ) -> None:
    """More of a big account's reposts in a row than a page reads, for a reader who turned
    its reposts off: its older posts still fill the page (each account's newest are read
    after its filters, in SQL; on Redis the read goes on past what it dropped)."""
    reader, quiet, star, other = [await account(ctx, n) for n in ("reader", "quiet", "star",
                                                                   "other")]
    await follow(ctx, reader, star)
    await follow(ctx, quiet, star, reblogs=False)
    for i in range(4):
        await follow(ctx, await account(ctx, f"fan{i}"), star)
    await home(ctx, reader)
    await home(ctx, quiet)
    own = [await post(ctx, star, f"star {i}") for i in range(3)]
    theirs = [await post(ctx, other, f"other {i}") for i in range(45)]
    reposts = [await reblog(ctx, star, t) for t in theirs]
    await ctx.jobs.drain()
    assert await home(ctx, quiet) == own[::-1]
    assert await home(ctx, reader) == reposts[::-1][:40]


async def test_blocks_and_mutes_hide_entries_from_every_source(ctx: Context) -> None:
    from townsquare.store.tables import blocks, mutes

    reader, small, star, muted = [await account(ctx, n) for n in ("reader", "small", "star",
                                                                  "muted")]
    for a in (small, star, muted):
        await follow(ctx, reader, a)
    for i in range(4):
        await follow(ctx, await account(ctx, f"fan{i}"), star)
    await home(ctx, reader)
    kept = await post(ctx, small, "kept")
    await post(ctx, muted, "muted")
    await post(ctx, star, "blocked")
    await ctx.jobs.drain()
    async with ctx.db.write() as tx:
        await tx.execute(insert(mutes).values(id=ctx.ids.next(), account_id=reader,
                                              target_account_id=muted, hide_notifications=True,
                                              created_at=ctx.clock.now()))
        await tx.execute(insert(blocks).values(id=ctx.ids.next(), account_id=star,
                                               target_account_id=reader,
                                               created_at=ctx.clock.now()))
    assert await home(ctx, reader) == [kept]


async def test_a_page_reads_past_a_long_run_of_hidden_entries(ctx: Context) -> None:
    """More hidden entries in a row than a page reads at first: the store reads further
    (on Redis, twice as many entries each time) and the page still holds what is older."""
    from townsquare.store.tables import mutes

    reader, small, muted = [await account(ctx, n) for n in ("reader", "small", "muted")]
    for a in (small, muted):
        await follow(ctx, reader, a)
    await home(ctx, reader)
    older = [await post(ctx, small, f"older {i}") for i in range(3)]
    for i in range(60):  # newer than every post of `small`, all hidden from the reader
        await post(ctx, muted, f"muted {i}")
    await ctx.jobs.drain()
    async with ctx.db.write() as tx:
        await tx.execute(insert(mutes).values(id=ctx.ids.next(), account_id=reader,
                                              target_account_id=muted, hide_notifications=True,
                                              created_at=ctx.clock.now()))
    assert len(await stored_ids(ctx, reader)) == 63  # still stored: hidden when read
    assert await home(ctx, reader) == older[::-1]


async def test_a_rolled_back_post_is_never_delivered(ctx: Context) -> None:
    author, reader = await account(ctx, "author"), await account(ctx, "reader")
    await follow(ctx, reader, author)
    await home(ctx, reader)
    first = await post(ctx, author, "delivered")

    class Boom(Exception):
        pass

    try:
        async with ctx.db.write() as tx:
            sid = ctx.ids.next()
            await tx.execute(insert(statuses).values(
                id=sid, account_id=author, text="x", content="x", visibility="public",
                created_at=ctx.clock.now()))
            await ctx.timelines.deliver(tx, Entry(sid, author, author, "public"))
            raise Boom
    except Boom:
        pass
    await ctx.jobs.drain()
    assert await stored_ids(ctx, reader) == {first}
