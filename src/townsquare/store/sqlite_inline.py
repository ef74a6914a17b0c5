"""SQLite for SQLAlchemy's async engine without a thread hop per call.

aiosqlite runs every call on a helper thread and wakes the event loop with the answer; on
these machines that hand-off costs about 1 ms, while the indexed queries of a page take tens
of microseconds in SQLite itself. This shim gives SQLAlchemy's aiosqlite adapter the
awaitable surface it expects, but runs each call directly on the event loop's thread.

Why it is safe here: SQLite on local disk answers small queries faster than a thread switch;
writes are already serialised by Database's asyncio lock, and WAL readers never wait for the
writer, so no call blocks on another coroutine. A long query (a full-text search, a bulk
load) does hold the loop while it runs, which in the embedded one-process mode costs the same
CPU either way. PostgreSQL keeps asyncpg.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class _Cursor:
    __slots__ = ("_cur",)

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur = cur

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cur.close()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Cursor:
        self._cur.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> _Cursor:
        self._cur.executemany(sql, seq)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    async def fetchone(self) -> Any:
        return self._cur.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cur.fetchmany(size if size is not None else self._cur.arraysize)

    async def close(self) -> None:
        self._cur.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cur.description

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cur.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cur.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue: runs the function at once."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(exc)


class Connection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn  # aiosqlite's "still open" flag
        self._tx = _RunNow()

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection itself (store/fast.py runs hot reads on it)."""
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Cursor:
        return _Cursor(self._conn.execute(sql, parameters))

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def creator(database: str, *, timeout: float = 30.0) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine("sqlite+aiosqlite://...")."""

    async def connect() -> Connection:
        return Connection(sqlite3.connect(database, timeout=timeout, check_same_thread=False))

    return connect
