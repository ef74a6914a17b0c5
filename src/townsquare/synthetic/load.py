"""Bulk-load a synthetic network, with progress on stderr, and write the ground truth beside it.

PostgreSQL: one transaction that drops the loaded tables' indexes and constraints (keys,
unique and foreign keys, and foreign keys from other tables into them), streams every table
with binary COPY (rows encoded with numpy by a producer thread while PostgreSQL copies the
previous chunk), then rebuilds the indexes in bulk (sorted builds instead of one btree or
GIN insertion per row), re-adds the constraints (one validating join per foreign key instead
of one trigger call per row) and finally VACUUM ANALYZEs the tables, so the benchmark that
follows is not measured against autovacuum's first pass.

SQLite: one transaction of batched `executemany` inserts, secondary indexes built after.

Every user starts with no home-timeline entries and no recent activity, so the first read
of each user builds their timeline from the database (the rebuild path), on either store.
Bench clients authenticate with the token `synthetic-<seed>-<account index>`.
"""

from __future__ import annotations

import asyncio
import csv
import json
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Table
from sqlalchemy.engine import make_url

from townsquare.store import tables as t
from townsquare.store import versions
from townsquare.synthetic.columns import (
    COPY_HEADER,
    COPY_TRAILER,
    Chunk,
    encode_binary,
    sqlite_rows,
)
from townsquare.synthetic.network import Network
from townsquare.synthetic.progress import Progress, peak_rss_mb
from townsquare.synthetic.rows import Plan, TableRows, chunks, token_for

__all__ = ["Plan", "load", "token_for", "write_truth"]

CHUNK = 100_000  # rows per COPY message / executemany batch
SQLITE_CHUNK = 50_000


def _columns(table: Table, sample: Chunk) -> tuple[list[str], dict[str, Any]]:
    """The columns to load: the sample's, plus columns other issues added, at their defaults."""
    names = list(sample)
    extra: dict[str, Any] = {}
    for col in table.columns:
        if col.name in sample or col.server_default is not None:  # the database fills those
            continue
        default = getattr(col.default, "arg", None) if col.default is not None else None
        if default is not None and not callable(default):
            extra[col.name] = default
        elif not col.nullable:
            raise ValueError(f"{table.name}.{col.name} needs a value for bulk loading")
    return names + list(extra), extra


def _with_defaults(table: Table, chunk: Chunk) -> tuple[list[str], Chunk]:
    cols, extra = _columns(table, chunk)
    return cols, {**chunk, **extra} if extra else chunk


# -- PostgreSQL ----------------------------------------------------------------------------

_DROPPED_SQL = """
WITH loaded AS (SELECT unnest($1::text[])::regclass AS rel)
SELECT 'c' AS kind, c.conrelid::regclass::text AS tbl, c.conname::text AS name,
       c.contype::text AS type, pg_get_constraintdef(c.oid) AS def
FROM pg_constraint c
WHERE (c.contype IN ('p', 'u', 'f') AND c.conrelid IN (SELECT rel FROM loaded))
   OR (c.contype = 'f' AND c.confrelid IN (SELECT rel FROM loaded))
UNION ALL
SELECT 'i', i.indrelid::regclass::text, ci.relname::text, 'i', pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
WHERE i.indrelid IN (SELECT rel FROM loaded)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                  AND c.contype IN ('p', 'u', 'x'))
"""

_TYPES_SQL = """
SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _produce(tables: Sequence[tuple[Table, TableRows]], out: queue.Queue[Any],
             types: dict[str, dict[str, str]], stop: threading.Event) -> None:
    """Producer thread: every table's chunks, encoded, then None after each table."""
    try:
        for table, rows in tables:
            cols: list[str] | None = None
            for n, chunk in chunks(rows, CHUNK):
                if stop.is_set():
                    return
                names, full = _with_defaults(table, chunk)
                if cols is None:
                    cols = names
                    out.put(("columns", cols))
                out.put((n, encode_binary(full, cols, types[table.name])))
            out.put(None)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        out.put(("error", exc))


async def _load_pg(url: str, tables: Sequence[tuple[Table, TableRows]],
                   progress: Progress, after_copy: Any = None) -> dict[str, Any]:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database)
    stats: dict[str, Any] = {}
    loop = asyncio.get_running_loop()
    try:
        await conn.execute("SET synchronous_commit = off; SET maintenance_work_mem = '1GB';"
                           " SET work_mem = '256MB'")
        async with conn.transaction():
            names = [tbl.name for tbl, rows in tables if rows.total]
            dropped = await conn.fetch(_DROPPED_SQL, names)
            progress.begin(f"drop {len(dropped)} indexes and constraints")
            for r in sorted(dropped, key=lambda r: {"f": 0, "p": 2, "u": 1}.get(r["type"], 3)):
                if r["kind"] == "c":
                    await conn.execute(f"ALTER TABLE {r['tbl']} DROP CONSTRAINT {_q(r['name'])}")
                else:
                    await conn.execute(f"DROP INDEX {_q(r['name'])}")
            progress.end()
            # The cache counters' triggers (store/versions.py) would fire once per loaded row;
            # every counter starts at 0 in a fresh load anyway.
            for name in names:
                await conn.execute(f"ALTER TABLE {_q(name)} DISABLE TRIGGER USER")
            types = {name: {a: typ for a, typ in await conn.fetch(_TYPES_SQL, name)}
                     for name in names}
            work = [(tbl, rows) for tbl, rows in tables if rows.total]
            q: queue.Queue[Any] = queue.Queue(maxsize=3)
            stop = threading.Event()
            producer = threading.Thread(target=_produce, args=(work, q, types, stop),
                                        name="copy-producer", daemon=True)
            producer.start()
            try:
                for tbl, rows in work:
                    head = await loop.run_in_executor(None, q.get)
                    if head[0] == "error":
                        raise head[1]
                    cols = head[1]
                    progress.begin(tbl.name, rows.total)

                    async def source() -> AsyncIterator[bytes]:
                        yield COPY_HEADER
                        while True:
                            item = await loop.run_in_executor(None, q.get)
                            if item is None:
                                break
                            if item[0] == "error":
                                raise item[1]
                            yield item[1]
                            progress.advance(item[0])
                        yield COPY_TRAILER

                    await conn.copy_to_table(tbl.name, source=source(), columns=cols,
                                             format="binary")
                    progress.end()
            finally:
                stop.set()
                while producer.is_alive():  # unblock a producer waiting on a full queue
                    try:
                        q.get_nowait()
                    except queue.Empty:
                        await asyncio.sleep(0.01)
            for name in names:
                await conn.execute(f"ALTER TABLE {_q(name)} ENABLE TRIGGER USER")
            pending = loop.run_in_executor(None, after_copy) if after_copy else None
            order = {"p": 0, "u": 1, "i": 2, "f": 3}
            progress.begin("indexes and keys", len(dropped), unit="items")
            for r in sorted(dropped, key=lambda r: order[r["type"]]):
                began = time.monotonic()
                if r["kind"] == "c":
                    await conn.execute(f"ALTER TABLE {r['tbl']} ADD CONSTRAINT {_q(r['name'])} "
                                       f"{r['def']}")
                else:
                    await conn.execute(r["def"])
                progress.item(r["name"], time.monotonic() - began)
            progress.end()
            if pending is not None:
                await pending
            # From this commit on, commits wait for their WAL flush. VACUUM sets no hint bit,
            # so marks no page all-visible, while the rows' commit record is unflushed; and an
            # asynchronous commit after it (each ANALYZE's) moves the commit LSN that hint bits
            # wait for, as it is kept per group of 32 transactions. With a fresh network's
            # pages not all-visible every index-only scan visits the heap: 4,322 of 23,983
            # follows pages were, on the 100k network; a heavy For you page took 31 ms, 26
            # after VACUUM.
            await conn.execute("SET synchronous_commit = on")
        progress.begin("vacuum analyze")
        for name in names:
            await conn.execute(f"VACUUM ANALYZE {_q(name)}")
        progress.end()
        stats["database_bytes"] = await conn.fetchval(
            "SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    return stats


# -- SQLite --------------------------------------------------------------------------------

def _load_sqlite(path: str, tables: Sequence[tuple[Table, TableRows]],
                 progress: Progress) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    names = [tbl.name for tbl, _ in tables]
    try:
        conn.execute("BEGIN")
        marks = ",".join("?" * len(names))
        indexes = conn.execute(  # secondary indexes (not those behind UNIQUE or keys)
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})", names).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {_q(name)}")
        # The cache counters' triggers would fire once per row (all counters start at 0).
        for ddl in versions.drop_statements("sqlite"):
            conn.execute(ddl)
        for table, rows in tables:
            if not rows.total:
                continue
            progress.begin(table.name, rows.total)
            sql = None
            for n, chunk in chunks(rows, SQLITE_CHUNK):
                cols, full = _with_defaults(table, chunk)
                if sql is None:
                    sql = (f'INSERT INTO "{table.name}" ({", ".join(cols)}) '
                           f'VALUES ({", ".join("?" * len(cols))})')
                conn.executemany(sql, sqlite_rows(full, cols))
                progress.advance(n)
            progress.end()
        progress.begin(f"{len(indexes)} indexes")
        for _, sql in indexes:
            conn.execute(sql)
        for ddl in versions.create_statements("sqlite"):
            conn.execute(ddl)
        progress.end()
        conn.execute("COMMIT")
        progress.begin("analyze")
        conn.execute("ANALYZE")
        progress.end()
    finally:
        conn.close()
    return {"database_bytes": Path(path).stat().st_size}


# -- ground truth and entry point ----------------------------------------------------------

def write_truth(net: Network, plan: Plan, out: Path) -> None:
    """The hidden structure, for the algorithm and integrity work to check themselves against."""
    out.mkdir(parents=True, exist_ok=True)
    s = net.spec
    sizes = np.bincount(net.community, minlength=len(net.community_tags))
    (out / "truth.json").write_text(json.dumps({
        "seed": s.seed, "accounts": s.accounts, "now": s.now.isoformat(),
        "communities": [{"community": c, "tag": tag, "size": int(sizes[c])}
                        for c, tag in enumerate(net.community_tags)],
        "celebrities": [int(plan.account_ids[c]) for c in net.celebrities],
        "token": ("synthetic-<seed>-<index> for account indexes below " + str(plan.tokens)
                  + " and for the most-followed accounts (token_indexes)"),
        "token_indexes": plan.token_indexes.tolist(),
        "files": {"accounts.csv": "account_id,username,community,activity,popularity"},
    }, indent=2))
    with (out / "accounts.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["account_id", "username", "community", "activity", "popularity"])
        ids, comm = plan.account_ids.tolist(), net.community.tolist()
        act, pop = net.activity.tolist(), net.popularity.tolist()
        w.writerows([ids[i], f"u{i}", comm[i], f"{act[i]:.4f}", f"{pop[i]:.6g}"]
                    for i in range(s.accounts))


def load(net: Network, database_url: str, out: Path, *, tokens: int = 20_000,
         quiet: bool = False, progress: Progress | None = None) -> Plan:
    """Load `net` into an empty, migrated database; ground truth and load.json into `out`."""
    from argon2 import PasswordHasher

    plan = Plan(net, tokens)
    password_hash = PasswordHasher().hash("synthetic-password")
    by_name = {tbl.name: tbl for tbl in (t.accounts, t.users, t.tokens, t.follows, t.statuses,
                                         t.tags, t.status_tags, t.favourites, t.polls,
                                         t.poll_options, t.poll_votes)}
    tables = [(by_name[r.name], r) for r in plan.tables(password_hash)]
    total = sum(r.total for _, r in tables)
    progress = progress or Progress(quiet, total)
    progress.total_rows = total
    start = time.monotonic()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        stats = _load_sqlite(url.database, tables, progress)
        write_truth(net, plan, out)
    else:
        stats = asyncio.run(_load_pg(database_url, tables, progress,
                                     after_copy=lambda: write_truth(net, plan, out)))
    stats.update({"seed": net.spec.seed, "accounts": net.spec.accounts,
                  "load_s": round(time.monotonic() - start, 1),
                  "rows": {r.name: r.total for _, r in tables},
                  "phases_s": progress.timings, "peak_rss_mb": round(peak_rss_mb())})
    (out / "load.json").write_text(json.dumps(stats, indent=2))
    return plan
