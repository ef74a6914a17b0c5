"""The database handle: one async engine for SQLite (embedded) or PostgreSQL, chosen by URL.

Writes go through `Database.write()`, a transaction. On SQLite writes are also serialised by
an asyncio lock and start with BEGIN IMMEDIATE, so concurrent requests queue instead of failing
with "database is locked"; readers run beside them thanks to WAL.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from townsquare.store import fast, sqlite_inline
from townsquare.store.checkpoint import Checkpointer


def async_url(url: str) -> str:
    """Accept plain `sqlite:///` and `postgresql://` URLs and pick the async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
    return parsed.render_as_string(hide_password=False)


class Tx:
    """A write transaction: the connection plus work to run once it has committed.

    `off_loop` (SQLite, `Database.write(off_loop=True)`): `executemany` and the commit run on
    a thread of their own, with the event loop free meanwhile. SQLite does its work with
    Python's lock released, so a big write (a batch of posts inserting a home-timeline row
    per follower, and the commit that writes those pages out) runs on the second core while
    the loop serves other requests. The connection is the writer's alone until it commits,
    so no other call can touch it meanwhile."""

    def __init__(self, conn: AsyncConnection, off_loop: bool = False) -> None:
        self.conn = conn
        self.off_loop = off_loop
        self._after: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._after.append(fn)

    async def execute(self, statement: Any, params: Any = None) -> Any:
        return await self.conn.execute(statement, params)

    async def executemany(self, statement: Any, params: list[dict[str, Any]]) -> None:
        """`execute(statement, params)` for a statement without results (an INSERT ...
        SELECT); with `off_loop`, on a thread (the statement compiled once per dialect)."""
        compiled = None
        if self.off_loop and params:
            sync = self.conn.sync_connection
            assert sync is not None
            compiled = _compiled_positional(statement, sync.dialect, tuple(params[0]))
        if compiled is None:
            await self.conn.execute(statement, params)
            return
        sql, names, processors = compiled
        rows = [
            [p(row[n]) if p is not None else row[n] for n, p in zip(names, processors, strict=True)]
            for row in params
        ]
        fast.announce(sync, sql, rows)
        await _off_loop(_sqlite(self.conn).executemany, sql, rows)

    async def _commit_off_loop(self) -> None:
        # SQLAlchemy's own COMMIT, after this one, finds no transaction open: sqlite3's
        # commit() does nothing then.
        await _off_loop(_sqlite(self.conn).commit)


# One thread for SQLite's off-loop writes, per process (writes are serialised anyway).
_WRITER_THREAD: ThreadPoolExecutor | None = None


async def _off_loop(fn: Callable[..., Any], *args: Any) -> Any:
    global _WRITER_THREAD
    if _WRITER_THREAD is None:
        _WRITER_THREAD = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
    done = asyncio.get_running_loop().run_in_executor(_WRITER_THREAD, fn, *args)
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        # Cancelled (a shutdown): the thread still has the connection. Let it finish before
        # the rollback that follows touches the connection from this thread.
        await asyncio.wait({done})
        raise


Positional = tuple[str, list[str], list[Any]]
_POSITIONAL: dict[tuple[int, str, tuple[str, ...]], tuple[Any, Positional | None]] = {}


def _compiled_positional(statement: Any, dialect: Any, keys: tuple[str, ...]) -> Positional | None:
    """(SQL, parameter names in order, bind processors) of a statement built once, for
    parameter sets with these keys; None when SQLAlchemy would add values of its own (a
    column default computed in Python), which only its own execution does."""
    key = (id(statement), dialect.name, keys)
    found = _POSITIONAL.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    out: Positional | None = None
    if (
        compiled.positiontup is not None
        and not compiled.insert_prefetch
        and not compiled.update_prefetch
        and not compiled.returning
    ):
        names = list(compiled.positiontup)
        if set(names) <= set(keys):
            processors = [
                compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
            ]
            out = (compiled.string, names, processors)
    if len(_POSITIONAL) > 256:
        _POSITIONAL.clear()
    _POSITIONAL[key] = (statement, out)  # keeps the statement alive: its id stays its own
    return out


SQLITE_POOL = 32  # SQLite connections kept open (and as many more opened under a burst)
# Idle read connections a process keeps checked out for its next reads (at most the pool).
# On PostgreSQL a request holds its connection across its awaits, so as many are in use as
# requests are in flight. Every connection the pool opens is kept (no overflow): an overflow
# connection is closed after use, and the next burst starts a PostgreSQL backend per request
# (1.9 ms of server CPU per home page at 16 in flight). Requests beyond the pool wait for a
# connection, which is handed to them directly (Database._acquire).
READERS_KEPT = 16


class Database:
    def __init__(self, url: str, *, pool_size: int = 16) -> None:
        self.url = async_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self.query_count = 0
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            database = make_url(self.url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            # Calls run on the event loop's thread (store/sqlite_inline.py explains why).
            kwargs["async_creator"] = sqlite_inline.creator(database or ":memory:")
            # Connections are kept, not opened per request: opening one runs five PRAGMAs
            # and reads the schema (~0.5 ms), and with more requests in flight than pooled
            # connections (SQLAlchemy's default keeps 5) every request beyond them opened
            # and closed its own - 20% of a post's CPU with 16 posts in flight. An idle
            # SQLite connection costs little; its page cache grows only with what it reads.
            kwargs.update(pool_size=SQLITE_POOL, max_overflow=SQLITE_POOL)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=0, pool_pre_ping=False)
            # Every statement is prepared once per connection (asyncpg's cache); with the
            # default plan_cache_mode PostgreSQL still planned most of them again on each
            # execution (custom plans: 0.15-0.45 ms each, most of a home page's database
            # CPU). The queries here are index lookups whose plan does not depend on the
            # values bound, so one generic plan per statement serves.
            # No parallel query: a generic plan that guesses a few thousand rows (the fan-out
            # job's followers of a batch of authors) gathered them with a parallel worker, a
            # process started per execution (4-7 ms and a core's share for a statement that
            # finds ~100 rows; posting on the 100k network ran at half speed), and workers
            # took longer to start (5-15 ms) than they saved a For you page. Requests here
            # are short; the batch jobs that scan are not made faster by one more worker on
            # two cores.
            # No JIT compilation: PostgreSQL compiles a statement whose estimated cost passes
            # jit_above_cost (100,000), and a heavy For you page's candidate statement, a
            # ~20 ms read, crossed it for some viewers and spent 65 ms compiling itself
            # every time (the slowest pages of every For you benchmark until then).
            kwargs["connect_args"] = {"server_settings": {
                "plan_cache_mode": "force_generic_plan",
                "max_parallel_workers_per_gather": "0", "jit": "off"}}
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        database = make_url(self.url).database if self.is_sqlite else None
        # started with the first write (a read-only command needs none)
        self._checkpoints = (Checkpointer(database)
                             if database and database != ":memory:" else None)
        self._readers: list[tuple[AsyncConnection, Any]] = []
        self._readers_kept = READERS_KEPT if self.is_sqlite else min(READERS_KEPT, pool_size)
        # PostgreSQL: connections this process has out of SQLAlchemy's pool (in use or kept
        # idle), at most the pool's size; requests beyond it wait in line (FIFO) for one to
        # be handed over. SQLite's pool waits by itself (it is larger than the kept readers).
        self._capacity = pool_size if not self.is_sqlite else 0
        self._out = 0
        self._waiters: deque[asyncio.Future[tuple[AsyncConnection, Any] | None]] = deque()
        self._readers_loop: asyncio.AbstractEventLoop | None = None
        sync_engine = self.engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._count)
        if self.is_sqlite:
            event.listen(sync_engine, "connect", _sqlite_on_connect)
            event.listen(sync_engine, "begin", _sqlite_on_begin)

    def _count(self, *args: Any) -> None:
        self.query_count += 1

    @contextmanager
    def counting(self) -> Iterator[list[int]]:
        """Count the queries run inside the block: `with db.counting() as n: ...; n[0]`."""
        start = self.query_count
        box = [0]
        try:
            yield box
        finally:
            box[0] = self.query_count - start

    def read(self) -> _Read:
        """A connection for reads: `async with db.read() as conn`. Kept open between reads
        in this process: checking a connection out of SQLAlchemy's pool and closing it cost
        ~0.1 ms of Python per request, and its `async with` closes in a task of its own, a
        trip around the event loop during which every request in flight held a connection.

        On SQLite the whole read is one snapshot (a deferred BEGIN, sent straight to the
        driver); on PostgreSQL statements run in autocommit unless a statement made through
        SQLAlchemy began a transaction, which is rolled back at the end."""
        return _Read(self)

    def spare(self) -> _Spare:
        """A second read connection for a request that can use one at once, or none:
        `async with db.spare() as conn` gives an idle kept connection, or a new one while
        the process has fewer than its pool, else None (and always None on SQLite, where
        reads share the event loop's thread). Never a wait in line: a request that held
        one connection while waiting for a second could wait forever once every connection
        is held that way."""
        return _Spare(self)

    def _reader(self) -> tuple[AsyncConnection, Any] | None:
        """An idle kept connection, unless someone is in line for one."""
        loop = asyncio.get_running_loop()
        if self._readers_loop is not loop:  # connections belong to the loop that made them
            self._readers, self._readers_loop = [], loop
            self._out, self._waiters = 0, deque()
        return self._readers.pop() if self._readers and not self._waiters else None

    async def _acquire(self) -> tuple[AsyncConnection, Any]:
        """A connection (and SQLite's driver connection under it): an idle kept one, a new
        one while the process has fewer than the pool, else the next one given back, handed
        over in turn. Handing over skips SQLAlchemy's check-in and check-out (~5% of a home
        page's CPU with four times the pool in flight) and keeps the line fair: a request
        that arrives later cannot take a connection ahead of one already waiting."""
        kept = self._reader()
        if kept is not None:
            return kept
        if self._capacity and self._out >= self._capacity:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                given = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # given as it was cancelled
                    handed = waiter.result()
                    if handed is None:
                        self._freed()
                    else:
                        self._give(*handed)
                raise
            if given is not None:
                return given
            # None: a connection was closed meanwhile; its place (counted) is this one's
        else:
            self._out += 1
        conn = await self._connect()
        return conn, (_sqlite(conn) if self.is_sqlite else None)

    async def _connect(self) -> AsyncConnection:
        """A new connection, its place counted by the caller: given back if it fails."""
        try:
            return await self.engine.connect()
        except BaseException:
            self._freed()
            raise

    def _give(self, conn: AsyncConnection, raw: Any) -> bool:
        """A clean connection to the first in line, or kept idle; False if neither (the
        caller closes it)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result((conn, raw))
                return True
        if len(self._readers) < self._readers_kept:
            self._readers.append((conn, raw))
            return True
        return False

    def _freed(self) -> None:
        """A connection went back to SQLAlchemy: the first in line opens the next."""
        self._out = max(0, self._out - 1)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._out += 1  # taken on the waiter's behalf: it connects at once
                waiter.set_result(None)
                return

    async def _release(self, conn: AsyncConnection, raw: Any) -> None:
        try:
            if conn.in_transaction():  # begun by a statement run through SQLAlchemy
                await conn.rollback()
            elif raw is not None:
                raw.rollback()
        except BaseException:
            await self._discard(conn)
            raise
        if not self._give(conn, raw):
            try:
                await conn.close()
            finally:
                self._freed()

    async def _discard(self, conn: AsyncConnection) -> None:
        """Give a connection whose state is unknown back to SQLAlchemy, which resets it."""
        try:
            with suppress(Exception):  # closing a broken connection: nothing more to do
                await asyncio.shield(conn.close())
        finally:
            self._freed()

    @asynccontextmanager
    async def write(self, *, off_loop: bool = False) -> AsyncIterator[Tx]:
        """A write transaction. `off_loop`: its big statements and its commit run on a
        thread (SQLite; see Tx)."""
        if self._checkpoints is not None and not self._checkpoints.running:
            self._checkpoints.start()
        lock = self._write_lock if self._write_lock is not None else nullcontext()
        async with lock:
            if self.is_sqlite:  # from SQLAlchemy's pool (larger than the readers kept)
                conn, raw = await self.engine.connect(), None
            else:
                conn, raw = await self._acquire()
            clean = False
            try:
                conn.info["write"] = True
                tx = Tx(conn, off_loop and self.is_sqlite)
                try:
                    async with conn.begin():
                        yield tx
                        if tx.off_loop:
                            await tx._commit_off_loop()
                    clean = True
                except Exception:  # rolled back (a refused action): the connection serves on
                    clean = not conn.in_transaction() and not conn.invalidated
                    raise
                finally:
                    conn.info.pop("write", None)
            finally:
                if self.is_sqlite:
                    await asyncio.shield(conn.close())
                elif clean:
                    await asyncio.shield(self._release(conn, raw))
                else:
                    await self._discard(conn)
        for fn in tx._after:
            await fn()

    async def dispose(self) -> None:
        if self._checkpoints is not None:
            await asyncio.to_thread(self._checkpoints.stop)
        readers, self._readers = self._readers, []
        if self._readers_loop is asyncio.get_running_loop():
            for conn, _ in readers:
                await conn.close()
        await self.engine.dispose()


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (SQLAlchemy's
    # documented recipe for pysqlite/aiosqlite), so BEGIN IMMEDIATE is possible.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    # Checkpoints run on a thread of their own (store/checkpoint.py); the automatic one, in
    # the commit that crosses the mark (on the post writer's thread), is only the backstop,
    # at ~200 MB of WAL, should that thread fall behind.
    cursor.execute("PRAGMA wal_autocheckpoint=50000")
    # Statement journals and temporary b-trees in memory, not in temporary files: every
    # INSERT ... SELECT of a post's delivery opened, wrote and dropped a statement journal
    # file (25-35% of the delivery's CPU). They are small: a statement's changed pages, a
    # UNION's rows. (Migrations and the synthetic loader use connections of their own.)
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Straight to sqlite3 (the statement has no result to process), still counted. A read
    # connection is in its snapshot already (Database.read began it).
    driver = conn.connection.driver_connection.sqlite
    if driver.in_transaction:
        return
    sql = "BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN"
    fast.announce(conn, sql, ())
    driver.execute(sql)


class _Read:
    """Database.read()'s context manager (a class: cheaper than a generator per request)."""

    __slots__ = ("conn", "db", "raw")

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __aenter__(self) -> AsyncConnection:
        conn, raw = await self.db._acquire()
        if raw is not None:
            raw.execute("BEGIN")
        self.conn, self.raw = conn, raw
        return conn

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        await _end_read(self.db, self.conn, self.raw, exc_type)


async def _end_read(db: Database, conn: AsyncConnection, raw: Any, exc_type: Any) -> None:
    """A read connection back: kept for the next read, or given back to SQLAlchemy."""
    if exc_type is not None and not issubclass(exc_type, Exception) and raw is None:
        # Cancelled (a client gone) while PostgreSQL may still be answering: the
        # connection's state is unknown, so SQLAlchemy gets it back, not the next read.
        await db._discard(conn)
        return
    # After an error too: the rollback ends whatever the read left open, and a
    # connection it cannot roll back is given back to SQLAlchemy instead of kept.
    await db._release(conn, raw)


class _Spare:
    """Database.spare()'s context manager: a read connection that never waits, or none."""

    __slots__ = ("conn", "db")

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: AsyncConnection | None = None

    async def __aenter__(self) -> AsyncConnection | None:
        db = self.db
        if db.is_sqlite:
            return None
        kept = db._reader()
        if kept is not None:
            self.conn = kept[0]
        elif db._out < db._capacity and not db._waiters:
            db._out += 1
            self.conn = await db._connect()
        return self.conn

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.conn is not None:
            await _end_read(self.db, self.conn, None, exc_type)


def _sqlite(conn: AsyncConnection) -> Any:
    """The sqlite3 connection under an AsyncConnection (store/sqlite_inline.py)."""
    sync = conn.sync_connection
    assert sync is not None
    return sync.connection.driver_connection.sqlite  # type: ignore[union-attr]
