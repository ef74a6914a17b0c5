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
        assert (await conn.execute(select(func.count()).select_from(tokens))).scalar() \
            == len(plan.token_indexes)
        counts = dict((await conn.execute(select(accounts.c.id, accounts.c.followers_count)))
                      .all())
    celeb = int(plan.account_ids[net.celebrities[0]])
    assert counts[celeb] == int((net.follow_dst == net.celebrities[0]).sum())
    assert token_for(3, 0) == "synthetic-3-0"
    # the first --tokens accounts, and the most-followed ones (the celebrities among them)
    assert set(range(50)) <= set(plan.token_indexes.tolist())
    assert set(net.celebrities.tolist()) <= set(plan.token_indexes.tolist())
    assert (tmp_path / "truth" / "load.json").exists()
    viewer = int(plan.account_ids[0])
    async with ctx.db.read() as conn:  # first read: rebuilt from the database
        page = await ctx.timelines.page(conn, PageQuery(viewer, 20))
    followed = set(plan.account_ids[net.follow_dst[net.follow_src == 0]].tolist()) | {viewer}
    async with ctx.db.read() as conn:
        authors = dict((await conn.execute(select(statuses.c.id, statuses.c.account_id)
                                           .where(statuses.c.id.in_(page)))).all())
    assert page and all(authors[s] in followed for s in page)
    assert page == sorted(page, reverse=True)
    await ctx.timelines.settle()  # the first read's bookkeeping writes end before teardown


def test_binary_copy_rows_match_the_format() -> None:
    """Fixed-width and variable-width chunks encode to PostgreSQL's binary COPY rows."""
    import struct
    from datetime import UTC, datetime

    from townsquare.synthetic.columns import PG_EPOCH_US, Nullable, encode_binary

    at = datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)
    us = int(at.timestamp()) * 1_000_000 + 123_000 - PG_EPOCH_US
    fixed = {"id": np.array([1, 2]), "flag": True, "n": np.array([7, 8]), "at": at,
             "gone": None}
    types = {"id": "int8", "flag": "bool", "n": "int4", "at": "timestamptz", "gone": "int8",
             "name": "varchar", "ref": "int8"}

    def row(i: int, n: int) -> bytes:
        return struct.pack(">hiqiBiiiqi", 5, 8, i, 1, 1, 4, n, 8, us, -1)

    assert encode_binary(fixed, list(fixed), types) == row(1, 7) + row(2, 8)
    mixed = {"id": np.array([1, 2]), "name": ["é", ""],
             "ref": Nullable(np.array([5, 6]), np.array([True, False]))}
    assert encode_binary(mixed, list(mixed), types) == (
        struct.pack(">hiqi", 3, 8, 1, 2) + "é".encode() + struct.pack(">i", -1)
        + struct.pack(">hiqiiq", 3, 8, 2, 0, 8, 6))


def test_bench_run_passes_what_follows_its_separator_to_the_scale_bench() -> None:
    """`townsquare bench run -- --config ...` (the documented form): the `--` is the command
    line's, not scale_run's, whose own parser then sees the options (here refusing a bad
    one by name, where it said --config was missing while the `--` reached it)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "townsquare.cli", "bench", "run", "--",
                           "--config", "nope", "--accounts", "1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "invalid choice: 'nope'" in done.stderr, done.stderr
