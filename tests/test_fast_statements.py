"""store/fast.py: hot statements run on the driver give exactly what conn.execute() gives,
inside the caller's transaction, and are counted like any other query."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, insert, literal, select, union_all

from tests.helpers import Client
from townsquare.context import Context
from townsquare.queries.statuses import ROWS_QUERY, VIEWER_QUERY
from townsquare.store.fast import Hot, padded
from townsquare.store.tables import accounts, statuses


async def _world(client: Client) -> tuple[list[int], list[int]]:
    alice = await client.user("alice")
    bob = await client.user("bob")
    await client.follow(alice, bob)
    sids = [int((await client.post_status(who, f"post {i}"))["id"])
            for i in range(12) for who in (alice, bob)]
    return [alice.id, bob.id], sids


def _same(a: list[object], b: list[object]) -> None:
    assert sorted(map(tuple, a), key=repr) == sorted(map(tuple, b), key=repr)  # type: ignore[arg-type]


async def test_hot_rows_equal_sqlalchemy_rows(client: Client, ctx: Context) -> None:
    aids, sids = await _world(client)
    now = ctx.clock.now()
    by_id = select(accounts).where(accounts.c.id.in_(bindparam("ids", expanding=True)))
    cases = [
        (ROWS_QUERY, {"ids": sids}),
        (ROWS_QUERY, {"ids": sids[:3]}),
        (ROWS_QUERY, {"ids": []}),
        (by_id, {"ids": aids}),
        (VIEWER_QUERY, {"viewer": aids[0], "sids": sids, "aids": aids, "pids": [], "now": now}),
    ]
    async with ctx.db.read() as conn:
        for stmt, params in cases:
            expected = (await conn.execute(stmt, params)).all()
            got = await Hot(stmt).all(conn, params)
            _same(expected, got)
            for e, g in zip(sorted(expected, key=repr), sorted(got, key=repr), strict=True):
                assert [type(v) for v in e] == [type(v) for v in g]  # dates, booleans alike
                assert e._fields == g._fields


async def test_padding_keeps_the_result(client: Client, ctx: Context) -> None:
    _, sids = await _world(client)
    hot = Hot(select(statuses.c.id).where(statuses.c.id.in_(bindparam("ids", expanding=True))))
    async with ctx.db.read() as conn:
        for n in (1, 5, 9, 17, len(sids)):
            assert padded(n) >= n
            got = [r.id for r in await hot.all(conn, {"ids": sids[:n]})]
            assert sorted(got) == sorted(sids[:n])
        assert await hot.all(conn, {"ids": []}) == []
        assert await hot.first(conn, {"ids": []}) is None
        assert await hot.scalar(conn, {"ids": sids[:1]}) == sids[0]


async def test_fixed_values_and_bound_dates(client: Client, ctx: Context) -> None:
    aids, _ = await _world(client)
    later: Any = bindparam("later")
    stmt = union_all(
        select(literal("a").label("k"), accounts.c.id.label("v"))
        .where(accounts.c.id == bindparam("who"), accounts.c.created_at < later),
        select(literal("b").label("k"), accounts.c.id.label("v"))
        .where(accounts.c.id == bindparam("who"), accounts.c.created_at > later))
    hot = Hot(stmt)
    async with ctx.db.read() as conn:
        now = ctx.clock.now()
        for when in (now + timedelta(days=1), now - timedelta(days=1)):
            params = {"who": aids[0], "later": when}
            _same((await conn.execute(stmt, params)).all(), await hot.all(conn, params))
        assert [r.k for r in await hot.all(conn, {"who": aids[0],
                                                  "later": now + timedelta(days=1)})] == ["a"]


async def test_runs_inside_the_callers_transaction(client: Client, ctx: Context) -> None:
    aids, _ = await _world(client)
    hot = Hot(select(accounts.c.username).where(accounts.c.id == bindparam("id")))
    new_id = max(aids) + 1000
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        await tx.execute(insert(accounts).values(
            id=new_id, username="carol", username_lower="carol", display_name="", note="",
            note_html="", created_at=now, updated_at=now))
        assert await hot.scalar(tx.conn, {"id": new_id}) == "carol"  # uncommitted, same tx
        async with ctx.db.read() as other:
            assert await hot.scalar(other, {"id": new_id}) is None  # not visible elsewhere
    async with ctx.db.read() as conn:
        assert await hot.scalar(conn, {"id": new_id}) == "carol"
        # the connection's own transaction handling still works after fast statements
        assert (await conn.execute(select(accounts.c.id).where(accounts.c.id == new_id))
                ).scalar() == new_id


async def test_counted_like_any_query(client: Client, ctx: Context) -> None:
    aids, _ = await _world(client)
    hot = Hot(select(accounts.c.id).where(accounts.c.id.in_(bindparam("ids", expanding=True))))
    async with ctx.db.read() as conn:
        with ctx.db.counting() as n:
            await hot.all(conn, {"ids": aids})
            await hot.all(conn, {"ids": aids})
        assert n[0] == 2
