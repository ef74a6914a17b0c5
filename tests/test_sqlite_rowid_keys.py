"""SQLite tables keyed by one integer column are keyed by their rowid (store/tables.py,
migration 0014): a new database is built that way, and a database from before 0014, whose
keys were declared BIGINT (the table plus an index from key to rowid), is rebuilt keeping
every row, index, trigger, full-text entry and reference."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import app_on, file_settings, row_counts
from tests.test_status_cascade_indexes import ADDED, as_before_0015
from townsquare.model.clock import FrozenClock
from townsquare.store.migrate import upgrade

_KEY = re.compile(r"CONSTRAINT \w+ PRIMARY KEY \((\w+)\)")


def _keys(path: Path) -> dict[str, str]:
    """Table -> declared type of its key, for the tables keyed by one column."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                    "AND name NOT LIKE 'sqlite_%'").fetchall():
            key = [(col, kind) for _, col, kind, _, _, pk in
                   conn.execute(f'PRAGMA table_info("{name}")') if pk]
            if len(key) == 1:
                out[name] = key[0][1]
        return out
    finally:
        conn.close()


def _schema(path: Path) -> set[tuple[str, str, str]]:
    """Indexes and triggers as written (the automatic key indexes have no SQL)."""
    conn = sqlite3.connect(path)
    try:
        return set(conn.execute("SELECT type, name, tbl_name FROM sqlite_master "
                                "WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"))
    finally:
        conn.close()


def _as_before_0014(path: Path) -> None:
    """Rebuild every rowid-keyed table with its key declared BIGINT, as databases were
    before migration 0014 (the same procedure in reverse), and stamp them 0013."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA legacy_alter_table=ON")
        conn.execute("BEGIN")
        for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                      "AND name NOT LIKE 'sqlite_%'").fetchall():
            key = _KEY.search(sql or "")
            if key is None or not re.search(rf"^\s*{key.group(1)} INTEGER\b", sql, re.M):
                continue
            rest = [s for (s,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
                "AND type IN ('index', 'trigger')", (name,))]
            old = re.sub(rf"^(\s*){key.group(1)} INTEGER\b", rf"\1{key.group(1)} BIGINT", sql,
                         count=1, flags=re.M).replace(f"CREATE TABLE {name} (",
                                                      f"CREATE TABLE _old_{name} (", 1)
            conn.execute(old)
            conn.execute(f"INSERT INTO _old_{name} SELECT * FROM {name}")
            conn.execute(f"DROP TABLE {name}")
            conn.execute(f"ALTER TABLE _old_{name} RENAME TO {name}")
            for statement in rest:
                conn.execute(statement)
        conn.execute("UPDATE alembic_version SET version_num = '0013_reposts_index'")
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_tables_are_rebuilt_with_rowid_keys_keeping_everything(tmp_path: Path) -> None:
    path = tmp_path / "data" / "townsquare.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    keys = _keys(path)
    # New databases: every single-column key is the rowid
    some = ("accounts", "statuses", "users", "tokens", "favourites")
    assert {t: keys.get(t) for t in some} == dict.fromkeys(some, "INTEGER")
    assert "BIGINT" not in keys.values(), keys

    settings = file_settings(tmp_path / "data")
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))

    async with app_on(settings, clock) as c:
        alice, bob = await c.user("alice"), await c.user("bob")
        await c.follow(bob, alice)
        post = await c.post_status(alice, "zanzibarquux at the square")
        assert (await c.post(f"/api/v1/statuses/{post['id']}/favourite", as_=bob)
                ).status_code == 200
        await c.post_status(bob, "agreed", in_reply_to_id=post["id"])
        home = [s["id"] for s in (await c.get("/api/v1/timelines/home", as_=bob)).json()]
        counts = await row_counts(c.ctx)

    schema = _schema(path)
    as_before_0015(path)  # 0014's schema, then back to 0013's
    _as_before_0014(path)
    assert _keys(path)["statuses"] == "BIGINT"
    assert _schema(path) == {s for s in schema
                             if s[1] not in (*ADDED, "home_timeline_status_deleted")}

    upgrade(url)
    assert _keys(path) == keys
    assert _schema(path) == schema
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # the key is the rowid itself
        assert conn.execute("SELECT count(*) FROM statuses WHERE rowid != id").fetchone() == (0,)
    finally:
        conn.close()

    async with app_on(settings, clock) as c:
        assert await row_counts(c.ctx) == counts
        assert [s["id"] for s in (await c.get("/api/v1/timelines/home", as_=bob)).json()] == home
        found = (await c.get("/api/v2/search", as_=bob,
                             params={"q": "zanzibarquux", "type": "statuses"})).json()
        assert [s["id"] for s in found["statuses"]] == [post["id"]]
        # writes and their cascades work on the rebuilt tables
        clock.advance(1)
        newer = await c.post_status(alice, "after the rebuild")
        assert (await c.get("/api/v1/timelines/home", as_=bob)).json()[0]["id"] == newer["id"]
        assert (await c.delete(f"/api/v1/statuses/{post['id']}", as_=alice)).status_code == 200
        after = await row_counts(c.ctx)
        assert after["favourites"] == counts["favourites"] - 1
