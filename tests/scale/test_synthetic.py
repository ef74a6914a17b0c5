"""The synthetic square: deterministic, power-law shaped, and loadable on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from townsquare.context import Context
from townsquare.synthetic.load import load, token_for
from townsquare.synthetic.network import Spec, generate
from townsquare.timelines.base import PageQuery


def test_same_seed_same_network_and_a_power_law() -> None:
    a, b = generate(Spec(3000, seed=5)), generate(Spec(3000, seed=5))
    assert np.array_equal(a.follow_src, b.follow_src)
    assert np.array_equal(a.follow_dst, b.follow_dst)
    assert np.array_equal(a.post_author, b.post_author)
    assert not np.array_equal(a.follow_dst, generate(Spec(3000, seed=6)).follow_dst)
    followers = np.sort(np.bincount(a.follow_dst, minlength=3000))[::-1]
    assert followers[0] > 0.8 * 3000 * 0.85  # celebrities: followed by most users
    assert np.median(followers) < 0.01 * 3000  # most accounts: followed by few
    assert len(np.unique(a.follow_src * 3000 + a.follow_dst)) == len(a.follow_src)
    assert (a.follow_src != a.follow_dst).all()
    reposts = a.repost_of[a.repost_of >= 0]
    assert (a.repost_of[reposts] < 0).all()  # no repost of a repost


async def test_loaded_square_serves_timelines(ctx: Context, tmp_path: Path) -> None:
    from townsquare.store.tables import accounts, follows, statuses, tokens

    net = generate(Spec(400, seed=3))
    plan = await asyncio.to_thread(load, net, ctx.settings.resolved_database_url,
                                   tmp_path / "truth", tokens=50, quiet=True)
    assert (tmp_path / "truth" / "truth.json").exists()
    async with ctx.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(follows))).scalar() \
            == len(net.follow_src)
        assert (await conn.execute(select(func.count()).select_from(statuses))).scalar() \
            == len(net.post_author)
        assert (await conn.execute(select(func.count()).select_from(tokens))).scalar() == 50
        counts = dict((await conn.execute(select(accounts.c.id, accounts.c.followers_count)))
                      .all())
    celeb = int(plan.account_ids[net.celebrities[0]])
    assert counts[celeb] == int((net.follow_dst == net.celebrities[0]).sum())
    assert token_for(3, 0) == "synthetic-3-0"
    viewer = int(plan.account_ids[0])
    async with ctx.db.read() as conn:  # first read: rebuilt from the database
        page = await ctx.timelines.page(conn, PageQuery(viewer, 20))
    followed = set(plan.account_ids[net.follow_dst[net.follow_src == 0]].tolist()) | {viewer}
    async with ctx.db.read() as conn:
        authors = dict((await conn.execute(select(statuses.c.id, statuses.c.account_id)
                                           .where(statuses.c.id.in_(page)))).all())
    assert page and all(authors[s] in followed for s in page)
    assert page == sorted(page, reverse=True)
