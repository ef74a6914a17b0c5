"""Deleting a post finds the rows that go with it through an index (store/tables.py,
migration 0015): every foreign key the application's deletions cascade along has an index
that starts with its column, and home_timeline, which has no foreign keys, loses a deleted
post's rows (and those of the reposts its deletion cascades to) by a trigger that reads its
status_id index. On SQLite home_timeline is stored as its key (WITHOUT ROWID); a database
from before 0015 is rebuilt so, keeping every row."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from tests.helpers import Client, app_on, file_settings, row_counts
from townsquare.context import Context
from townsquare.model.clock import FrozenClock
from townsquare.store.migrate import upgrade
from townsquare.store.tables import home_timeline, metadata

# Rows of these tables are never deleted (accounts are suspended, apps kept), so a foreign
# key to them needs no index for a cascade: test_nothing_deletes_them checks the sources.
NEVER_DELETED = {"accounts", "apps"}
CHILDREN = ("home_timeline", "feed_feedback", "filter_statuses", "hidden_statuses")
ADDED = ("ix_home_timeline_status_id", "ix_feed_feedback_status_id",
         "ix_filter_statuses_status_id", "ix_hidden_statuses_status_id")


def _leading_columns(table: object) -> set[str]:
    leads = {next(iter(ix.columns)).name for ix in table.indexes}  # type: ignore[attr-defined]
    for c in table.constraints:  # type: ignore[attr-defined]
        cols = list(getattr(c, "columns", []))
        if cols and type(c).__name__ in ("PrimaryKeyConstraint", "UniqueConstraint"):
            leads.add(cols[0].name)
    return leads


def test_every_cascading_foreign_key_has_an_index() -> None:
    missing = []
    for table in metadata.sorted_tables:
        leads = _leading_columns(table)
        for fk in table.foreign_keys:
            if fk.column.table.name in NEVER_DELETED:
                continue
            if fk.parent.name not in leads:
                missing.append(f"{table.name}.{fk.parent.name} -> {fk.target_fullname}")
    assert missing == []
    home = metadata.tables["home_timeline"]
    assert not home.foreign_keys and "status_id" in _leading_columns(home)


def test_nothing_deletes_them() -> None:
    src = Path(__file__).resolve().parents[1] / "src" / "townsquare"
    for path in src.rglob("*.py"):
        body = path.read_text()
        for name in NEVER_DELETED:
            assert f"delete({name})" not in body, f"{path} deletes from {name}"


async def test_the_deletions_are_planned_with_the_indexes(ctx: Context) -> None:
    async with ctx.db.read() as conn:
        if conn.dialect.name == "sqlite":
            for table in CHILDREN:
                plan = " ".join(str(r[-1]) for r in (await conn.execute(text(
                    f"EXPLAIN QUERY PLAN DELETE FROM {table} WHERE status_id = 1"))).all())
                assert f"ix_{table}_status_id" in plan and "SCAN" not in plan, plan
            ddl = (await conn.execute(text("SELECT sql FROM sqlite_master "
                                           "WHERE name = 'home_timeline'"))).scalar_one()
            assert ddl.rstrip().upper().endswith("WITHOUT ROWID")
        else:
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            for table in CHILDREN:
                plan = " ".join(r[0] for r in (await conn.execute(text(
                    f"EXPLAIN DELETE FROM {table} WHERE status_id = 1"))).all())
                assert "Seq Scan" not in plan, plan


async def test_a_deleted_post_leaves_every_timeline_with_its_reposts(client: Client) -> None:
    c = client
    alice, bob, carol = await c.user("alice"), await c.user("bob"), await c.user("carol")
    await c.follow(bob, alice)
    await c.follow(carol, bob)
    post = await c.post_status(alice, "the original")
    other = await c.post_status(alice, "another")
    repost = (await c.post(f"/api/v1/statuses/{post['id']}/reblog", as_=bob)).json()

    async def entries() -> set[tuple[int, int]]:
        async with c.ctx.db.read() as conn:
            return {(int(a), int(s)) for a, s in (await conn.execute(
                select(home_timeline.c.account_id, home_timeline.c.status_id))).all()}

    ids = {n: int(s["id"]) for n, s in (("post", post), ("other", other), ("repost", repost))}
    before = await entries()
    assert (carol.id, ids["repost"]) in before
    assert (bob.id, ids["post"]) in before
    assert (await c.delete(f"/api/v1/statuses/{post['id']}", as_=alice)).status_code == 200
    after = await entries()
    assert {s for _, s in after} == {ids["other"]}  # the post and its repost, everywhere
    assert before - after == {e for e in before if e[1] in (ids["post"], ids["repost"])}
    home = (await c.get("/api/v1/timelines/home", as_=carol)).json()
    assert home == []


_LEGACY = (
    "CREATE TABLE home_timeline (account_id BIGINT NOT NULL, status_id BIGINT NOT NULL, "
    "author_id BIGINT NOT NULL, origin_author_id BIGINT NOT NULL, "
    "CONSTRAINT pk_home_timeline PRIMARY KEY (account_id, status_id), "
    "CONSTRAINT fk_home_timeline_account_id_accounts FOREIGN KEY(account_id) "
    "REFERENCES accounts (id) ON DELETE CASCADE, "
    "CONSTRAINT fk_home_timeline_status_id_statuses FOREIGN KEY(status_id) "
    "REFERENCES statuses (id) ON DELETE CASCADE)")


def as_before_0015(path: Path) -> None:
    """Take a database back to migration 0014's schema: home_timeline a rowid table with its
    foreign keys again (as migration 0001 made it), no trigger, none of the indexes 0015
    adds; stamped 0014."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA legacy_alter_table=ON")
        conn.execute("BEGIN")
        for name in ADDED:
            conn.execute(f"DROP INDEX {name}")
        conn.execute("DROP TRIGGER home_timeline_status_deleted")
        conn.execute("ALTER TABLE home_timeline RENAME TO _new_home_timeline")
        conn.execute(_LEGACY)
        conn.execute("INSERT INTO home_timeline SELECT * FROM _new_home_timeline")
        conn.execute("DROP TABLE _new_home_timeline")
        conn.execute("UPDATE alembic_version SET version_num = '0014_sqlite_rowid_keys'")
        conn.execute("COMMIT")
    finally:
        conn.close()


def _home_timeline(path: Path) -> tuple[str, list[tuple[int, ...]], list[str]]:
    conn = sqlite3.connect(path)
    try:
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'home_timeline'"
                           ).fetchone()[0]
        rows = conn.execute("SELECT * FROM home_timeline ORDER BY account_id, status_id"
                            ).fetchall()
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                            "'index' AND name LIKE 'ix_%status_id'")]
        return ddl, rows, sorted(names)
    finally:
        conn.close()


async def test_a_database_before_0015_is_rebuilt_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "data" / "townsquare.db"
    upgrade(f"sqlite:///{path}")
    settings = file_settings(tmp_path / "data")
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))

    async with app_on(settings, clock) as c:
        alice, bob, carol = await c.user("alice"), await c.user("bob"), await c.user("carol")
        await c.follow(bob, alice)
        await c.follow(carol, alice)
        first = await c.post_status(alice, "first")
        clock.advance(1)
        second = await c.post_status(alice, "second")
        home = [s["id"] for s in (await c.get("/api/v1/timelines/home", as_=bob)).json()]
        assert home == [second["id"], first["id"]]
        counts = await row_counts(c.ctx)

    ddl, rows, indexes = _home_timeline(path)
    assert len(rows) == 6  # alice's two posts, each in alice's, bob's and carol's timelines
    as_before_0015(path)
    before = _home_timeline(path)
    assert before[0] == _LEGACY
    assert before[1] == rows and "ix_home_timeline_status_id" not in before[2]

    upgrade(f"sqlite:///{path}")
    assert _home_timeline(path) == (ddl, rows, indexes)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()

    async with app_on(settings, clock) as c:
        assert await row_counts(c.ctx) == counts
        assert [s["id"] for s in (await c.get("/api/v1/timelines/home", as_=bob)).json()] == home
        # the trigger: a deleted post leaves every timeline
        assert (await c.delete(f"/api/v1/statuses/{first['id']}", as_=alice)).status_code == 200
        assert [s["id"] for s in (await c.get("/api/v1/timelines/home", as_=carol)).json()] == [
            second["id"]]
        assert (await row_counts(c.ctx))["home_timeline"] == 3
