"""The database handle: one async engine for SQLite (embedded) or PostgreSQL, chosen by URL.

Writes go through `Database.write()`, a transaction. On SQLite writes are also serialised by
an asyncio lock and start with BEGIN IMMEDIATE, so concurrent requests queue instead of failing
with "database is locked"; readers run beside them thanks to WAL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from townsquare.store import fast, sqlite_inline


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
    """A write transaction: the connection plus work to run once it has committed."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._after: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._after.append(fn)

    async def execute(self, statement: Any, params: Any = None) -> Any:
        return await self.conn.execute(statement, params)


SQLITE_POOL = 32  # SQLite connections kept open (and as many more opened under a burst)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
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
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
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

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                # Begin now (a deferred BEGIN: no lock until the first read), so that hot
                # statements run on the driver (store/fast.py) share one snapshot with the
                # rest instead of each opening its own read transaction. Synchronous: with
                # this driver, beginning runs no I/O beyond the BEGIN sent in _sqlite_on_begin.
                assert conn.sync_connection is not None
                conn.sync_connection.begin()
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        lock = self._write_lock if self._write_lock is not None else nullcontext()
        async with lock, self.engine.connect() as conn:
            conn.info["write"] = True
            tx = Tx(conn)
            try:
                async with conn.begin():
                    yield tx
            finally:
                conn.info.pop("write", None)
        for fn in tx._after:
            await fn()

    async def dispose(self) -> None:
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
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Straight to sqlite3 (the statement has no result to process), still counted.
    sql = "BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN"
    fast.announce(conn, sql, ())
    conn.connection.driver_connection.sqlite.execute(sql)
