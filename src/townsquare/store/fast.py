"""Hot read statements run on the raw driver connection, skipping SQLAlchemy's per-call work.

A page of statuses runs the same few SELECTs on every request. Through `conn.execute()` each
one costs 0.1-0.3 ms of Python on these machines (cache key, execution context, events,
result metadata, Row objects, and on PostgreSQL the adapter's own layer) - more than SQLite
or PostgreSQL take to answer it. `Hot` keeps the statement defined in SQLAlchemy Core, so it
stays readable and portable, but compiles it once per dialect and runs it directly on the
DBAPI connection under the caller's AsyncConnection: sqlite3 on the event loop's thread
(store/sqlite_inline.py), or asyncpg (whose statement cache prepares it once per connection).

What stays exactly as with `conn.execute()`:
- the SQL: SQLAlchemy's compiler renders it for the dialect, expanding IN lists as it does;
- the values: bound values and result columns go through the same SQLAlchemy type
  processors (dates and booleans on SQLite come back as datetime and bool);
- the transaction: the statement runs on the very connection the caller holds, inside
  whatever is open on it (a write's BEGIN IMMEDIATE, a read's BEGIN); when nothing is open
  yet it runs as one autocommit statement, and SQLAlchemy still begins, commits or rolls back
  the connection as before, since its own state is never touched;
- query counting: the engine's `before_cursor_execute` listeners see every statement.

IN lists are padded to a few sizes by repeating their last value (same result), so that a
statement has a handful of SQL texts, each prepared once by the driver. Rows are named
tuples (attribute, index and unpacking access like SQLAlchemy's Row). Only SELECTs belong
here; writes keep `conn.execute()` and its error translation.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.store import sqlite_inline

Processor = Callable[[Any], Any] | None
_MAX_PLANS = 256  # SQL texts per statement and dialect (IN-list sizes), kept before clearing


class _Slot:
    """Stands in for a caller's value while SQLAlchemy expands a statement once."""

    __slots__ = ("index", "key")

    def __init__(self, key: str, index: int) -> None:
        self.key = key
        self.index = index  # position in an expanding list; -1 for a single value


def padded(n: int) -> int:
    """The IN-list size a list of n values is sent as (n itself up to 8, then powers of 2)."""
    if n <= 8:
        return n
    size = 16
    while size < n:
        size *= 2
    return size


_FIXED, _ONE, _LIST, _ELEMENT = range(4)


class _Plan:
    """One SQL text (IN lists of fixed sizes) and how to fill its positional parameters:
    segments of values fixed in the statement, single values, and whole IN lists."""

    __slots__ = ("list_processors", "segments", "sizes", "sql")

    def __init__(self, sql: str, segments: list[tuple[int, Any, Any]],
                 sizes: dict[str, int], list_processors: dict[str, Processor]) -> None:
        self.sql = sql
        self.segments = segments
        self.sizes = sizes
        self.list_processors = list_processors

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        lists = {}
        for key, size in self.sizes.items():
            values = list(params[key])
            if len(values) < size:
                values.extend([values[-1]] * (size - len(values)))
            proc = self.list_processors[key]
            lists[key] = [proc(v) for v in values] if proc is not None else values
        out: list[Any] = []
        for kind, a, b in self.segments:
            if kind == _FIXED:
                out.extend(a)
            elif kind == _ONE:
                value = params[a]
                out.append(b(value) if b is not None else value)
            elif kind == _LIST:
                out.extend(lists[a])
            else:
                out.append(lists[a][b])
        return out


def _segments(slots: list[tuple[Any, Processor]], sizes: dict[str, int]
              ) -> tuple[list[tuple[int, Any, Any]], dict[str, Processor]]:
    """Group a statement's positional values: fixed runs, single values, whole IN lists."""
    segments: list[tuple[int, Any, Any]] = []
    list_processors: dict[str, Processor] = {}
    i = 0
    while i < len(slots):
        value, proc = slots[i]
        if not isinstance(value, _Slot):  # a value written into the statement, literal("f")
            fixed = proc(value) if proc is not None else value
            if segments and segments[-1][0] == _FIXED:
                segments[-1][1].append(fixed)
            else:
                segments.append((_FIXED, [fixed], None))
            i += 1
            continue
        if value.index < 0:
            segments.append((_ONE, value.key, proc))
            i += 1
            continue
        if list_processors.setdefault(value.key, proc) is not proc:
            raise ValueError(f"values of {value.key!r} are processed differently")
        size = sizes[value.key]
        run = slots[i:i + size]
        if value.index == 0 and len(run) == size and all(
                isinstance(v, _Slot) and v.key == value.key and v.index == n
                for n, (v, _) in enumerate(run)):
            segments.append((_LIST, value.key, None))
            i += size
        else:
            segments.append((_ELEMENT, value.key, value.index))
            i += 1
    return segments, list_processors


class _Compiled:
    """A statement compiled for one dialect, with its row type and result processors."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params:
            raise ValueError("fast statements cannot have literal_execute parameters")
        self.compiled = compiled
        self.dialect = dialect
        self.expanding = tuple(sorted({b.key for b in compiled.binds.values() if b.expanding}))
        # IN lists written into the statement (`col.in_(("a", "b"))`) are expanding binds
        # that carry their values: passed along with the caller's.
        self.fixed = {b.key: b.value for b in compiled.binds.values()
                      if b.expanding and b.value is not None}
        columns = list(statement.selected_columns)
        keys = [c.key for c in columns]
        row: Any = namedtuple("Row", keys)  # type: ignore[misc]  # odd or duplicate names fail
        self.make: Callable[[Any], Any] = partial(tuple.__new__, row)  # row._make, one call less
        procs = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self.result_processors = [(i, p) for i, p in enumerate(procs) if p is not None]
        self.plans: dict[tuple[int, ...], _Plan] = {}

    def plan(self, params: Mapping[str, Any]) -> _Plan:
        sizes = tuple(padded(len(params[k])) for k in self.expanding)
        found = self.plans.get(sizes)
        if found is not None:
            return found
        probe: dict[str, Any] = {k: _Slot(k, -1) for k in params}
        for k, size in zip(self.expanding, sizes, strict=True):
            probe[k] = [_Slot(k, i) for i in range(size)]
        state = self.compiled.construct_expanded_state(probe)
        assert state.positiontup is not None  # both drivers take positional parameters
        binds = self.compiled.binds
        slots: list[tuple[Any, Processor]] = []
        for name, value in zip(state.positiontup, state.positional_parameters, strict=True):
            proc = state.processors.get(name)
            if proc is None and name in binds:
                proc = binds[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
            slots.append((value, proc))
        by_key = dict(zip(self.expanding, sizes, strict=True))
        segments, list_processors = _segments(slots, by_key)
        plan = _Plan(state.statement, segments, {k: n for k, n in by_key.items() if n},
                     list_processors)
        if len(self.plans) >= _MAX_PLANS:
            self.plans.clear()
        self.plans[sizes] = plan
        return plan

    def values(self, raw: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        """The rows as plain sequences (the driver's own rows when nothing needs converting):
        for callers that unpack thousands of rows and never read a column by name."""
        if not self.result_processors:
            return raw
        procs = self.result_processors
        out = []
        for r in raw:
            values = list(r)
            for i, p in procs:
                values[i] = p(values[i])
            out.append(values)
        return out

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Any]:
        make = self.make
        return [make(r) for r in self.values(raw)]


def announce(sync: Any, sql: str, args: Any) -> None:
    """Tell the engine's before_cursor_execute listeners (query counting) about a statement
    run on the driver directly."""
    listeners = sync.dispatch.before_cursor_execute
    if listeners:
        for listener in listeners:
            listener(sync, None, sql, args, None, False)


class Hot:
    """A SELECT built once at import, run on the raw driver connection (see the module doc).

    `await HOT.all(conn, {"ids": [...]})` returns named-tuple rows; `first` and `scalar`
    as SQLAlchemy's Result has them. Bind parameters are passed by key, lists for
    `bindparam(..., expanding=True)`.
    """

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled_for(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        return found

    async def all(self, conn: AsyncConnection, params: Mapping[str, Any] | None = None
                  ) -> list[Any]:
        comp, raw = await self._run(conn, params)
        return comp.rows(raw)

    async def values(self, conn: AsyncConnection, params: Mapping[str, Any] | None = None
                     ) -> Sequence[Sequence[Any]]:
        """Like `all`, but rows are plain sequences (unpack them by position): saves building
        a named tuple per row where a caller reads thousands."""
        comp, raw = await self._run(conn, params)
        return comp.values(raw)

    async def _run(self, conn: AsyncConnection, params: Mapping[str, Any] | None
                   ) -> tuple[_Compiled, Sequence[Sequence[Any]]]:
        params = params or {}
        sync = conn.sync_connection
        assert sync is not None
        comp = self.compiled_for(sync.dialect)
        if comp.fixed:
            params = {**comp.fixed, **params}
        plan = comp.plan(params)
        args = plan.args(params)
        announce(sync, plan.sql, args)
        driver = sync.connection.driver_connection
        if isinstance(driver, sqlite_inline.Connection):
            raw: Sequence[Sequence[Any]] = driver.sqlite.execute(plan.sql, args).fetchall()
        else:  # asyncpg
            assert driver is not None
            raw = await driver.fetch(plan.sql, *args)
        return comp, raw

    async def first(self, conn: AsyncConnection, params: Mapping[str, Any] | None = None
                    ) -> Any:
        rows = await self.all(conn, params)
        return rows[0] if rows else None

    async def scalar(self, conn: AsyncConnection, params: Mapping[str, Any] | None = None
                     ) -> Any:
        row = await self.first(conn, params)
        return row[0] if row is not None else None
