"""SQLite's WAL is checkpointed on a thread of its own (store/checkpoint.py): what a write
committed reaches the database file itself without waiting for SQLite's automatic
checkpoint (now a backstop at ~200 MB of log), and the thread ends with the database."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from townsquare.store.db import Database


def _in_file(path: Path) -> list[int]:
    """The rows the database file holds by itself: `immutable` reads it without the log."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT n FROM t ORDER BY n")]
    except sqlite3.OperationalError:  # the table itself is still in the log only
        return []
    finally:
        conn.close()


def _threads() -> int:
    return sum(t.name == "sqlite-checkpoint" for t in threading.enumerate())


async def test_commits_reach_the_database_file_and_the_thread_ends_with_it(
        tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    before = _threads()
    db = Database(f"sqlite:///{path}")
    try:
        async with db.write() as tx:
            await tx.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
        assert _threads() == before + 1
        for n in range(1, 4):
            async with db.write() as tx:
                await tx.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
            async with asyncio.timeout(5):  # copied back within the thread's next rounds
                while _in_file(path) != list(range(1, n + 1)):
                    await asyncio.sleep(0.02)
        async with db.read() as conn:  # and the database reads as before
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 3
    finally:
        await db.dispose()
    assert _threads() == before


async def test_a_read_only_database_starts_no_thread(tmp_path: Path) -> None:
    before = _threads()
    db = Database(f"sqlite:///{tmp_path / 'read.db'}")
    try:
        async with db.read() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
        assert _threads() == before
    finally:
        await db.dispose()
