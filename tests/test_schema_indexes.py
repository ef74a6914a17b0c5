"""The migrated database has the indexes the table definitions declare (store/tables.py):
a query planned against an index that a migration forgot (or one left behind) would be
slow only on the database that missed it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from tests.helpers import Client
from townsquare.context import Context
from townsquare.store.tables import metadata


def _declared() -> set[tuple[str, str, tuple[str, ...]]]:
    out = set()
    for table in metadata.sorted_tables:
        for index in table.indexes:
            cols = tuple(str(getattr(c, "name", c)) for c in index.expressions)
            out.add((table.name, str(index.name), cols))
    return out


def _migrated(sync_conn: Any) -> set[tuple[str, str, tuple[str, ...]]]:
    insp = inspect(sync_conn)
    out = set()
    for table in metadata.sorted_tables:
        for index in insp.get_indexes(table.name):
            if index.get("duplicates_constraint"):
                continue  # behind a UNIQUE constraint, which the definitions declare as such
            cols = tuple(str(c) for c in index["column_names"] if c is not None)
            out.add((table.name, str(index["name"]), cols))
    return out


async def test_migrations_build_the_declared_indexes(ctx: Context) -> None:
    async with ctx.db.read() as conn:
        migrated = await conn.run_sync(_migrated)
    declared = _declared()
    follows = ("follows", "ix_follows_target_account_id_account_id_show_reblogs",
               ("target_account_id", "account_id", "show_reblogs"))
    assert follows in declared
    assert declared - migrated == set()
    # PostgreSQL's full-text index, on a generated column the definitions leave out
    # (migration 0002), is the one index only a migration declares.
    assert migrated - declared <= {("statuses", "ix_statuses_search_vector", ("search_vector",))}


async def test_lookups_of_replies_reposts_and_quotes_use_their_indexes(client: Client) -> None:
    """Partial indexes (migration 0016): once ANALYZE has run on a table where most posts
    reply to, repost and quote nothing, SQLite still finds a post's replies, reposts and
    quotes through them (with full indexes, whose statistics count every NULL, it scanned
    the table)."""
    alice = await client.user("alice")
    for n in range(30):
        await client.post_status(alice, f"post {n}")
    async with client.ctx.db.write() as tx:
        await tx.execute(text("ANALYZE"))
    async with client.ctx.db.read() as conn:
        for col in ("in_reply_to_id", "reblog_of_id", "quote_of_id"):
            sql = f"SELECT id FROM statuses WHERE {col} = 1"
            if conn.dialect.name == "sqlite":
                plan = " ".join(str(r[-1]) for r in (await conn.execute(
                    text("EXPLAIN QUERY PLAN " + sql))).all())
                assert f"ix_statuses_{col}" in plan, plan
            else:  # PostgreSQL reads a 30-row table whole; it must be able to use an index
                await conn.execute(text("SET LOCAL enable_seqscan = off"))
                plan = " ".join(r[0] for r in (await conn.execute(text("EXPLAIN " + sql))).all())
                assert "Seq Scan" not in plan, plan
