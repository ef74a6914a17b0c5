"""Calls that arrive while one is running, answered together by one call for all of them.

Every home page on Redis asks PostgreSQL the same kind of question (do these posts exist, who
wrote them, their version counters, is this token live); a statement costs ~45 us of the
web process's CPU and ~100 us of PostgreSQL's beyond its rows (protocol, wake-ups, executor
start), more than its 25 primary-key probes. Under load many pages wait for that statement
at once, so the ones that queue behind a running statement are sent as one statement for
all of them (8 pages in one: 72 -> 33 us of client CPU and 230 -> 130 us of PostgreSQL's a
page, measured sequentially on loopback).

Nothing waits for company: a call with no other in flight (below `limit`) runs at once, so an
idle server answers as before; only calls that would have queued behind a running one are
grouped. The group runs in the task of its oldest caller, on that caller's own connection, so
a connection is never used by a task that does not hold it and cancellation stays the
caller's: a leader cancelled before its statement ends hands its followers on to the next
group. An error of the statement is every member's error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar, cast

C = TypeVar("C")  # the connection a group runs on
K = TypeVar("K")
R = TypeVar("R")


class _Call(Generic[K, R]):
    __slots__ = ("item", "turn")

    def __init__(self, item: K, turn: asyncio.Future[list[_Call[K, R]] | R]) -> None:
        self.item = item
        # Resolved with the caller's result, or with a group to run (the caller leads it).
        self.turn = turn


class Coalescer(Generic[C, K, R]):
    """`await c(conn, item)` is `(await run(conn, [item]))[0]`, with concurrent calls grouped
    (module doc). `run(conn, items)` returns one result per item, in order. At most `limit`
    groups run at once, of at most `most` items each."""

    def __init__(self, run: Callable[[C, Sequence[K]], Awaitable[Sequence[R]]], *,
                 limit: int = 1, most: int = 64) -> None:
        self._run = run
        self._limit = limit
        self._most = most
        self._running = 0  # groups running or handed to a leader that has not started yet
        self._queue: deque[_Call[K, R]] = deque()
        self.groups = 0  # groups run (tests and benchmarks read it)
        self.calls = 0

    async def __call__(self, conn: C, item: K) -> R:
        if self._running < self._limit and not self._queue:
            self._running += 1
            return (await self._lead(conn, [item]))[0]
        me: _Call[K, R] = _Call(item, asyncio.get_running_loop().create_future())
        self._queue.append(me)
        try:
            got = await me.turn
        except asyncio.CancelledError:
            self._abandon(me)
            raise
        if isinstance(got, _Group):
            return (await self._lead(conn, [c.item for c in got], got))[0]
        return cast(R, got)

    async def _lead(self, conn: C, items: list[K],
                    group: _Group[K, R] | None = None) -> Sequence[R]:
        """Run a group (this caller's item first) and answer its other members."""
        followers = group[1:] if group is not None else []
        try:
            results = await self._run(conn, items)
        except asyncio.CancelledError:
            # This caller is going away; its followers have not: back to the front of the line.
            self._queue.extendleft(reversed(followers))
            raise
        except BaseException as exc:
            for c in followers:
                if not c.turn.done():
                    c.turn.set_exception(exc)
            raise
        finally:
            self._running -= 1
            self.groups += 1
            self.calls += len(items)
            self._next()
        for c, result in zip(followers, results[1:], strict=True):
            if not c.turn.done():
                c.turn.set_result(result)
        return results

    def _next(self) -> None:
        """Hand the waiting calls, as one group, to the oldest of them."""
        while self._queue and self._running < self._limit:
            group: _Group[K, R] = _Group()
            while self._queue and len(group) < self._most:
                c = self._queue.popleft()
                if not c.turn.done():  # a caller cancelled while waiting
                    group.append(c)
            if not group:
                return
            self._running += 1
            group[0].turn.set_result(group)

    def _abandon(self, me: _Call[K, R]) -> None:
        """A waiting caller was cancelled: out of the line; if it had just been handed a
        group, the group goes back to the front of the line for another leader."""
        with contextlib.suppress(ValueError):
            self._queue.remove(me)
        if me.turn.done() and not me.turn.cancelled():
            got = me.turn.result()
            if isinstance(got, _Group):
                self._queue.extendleft(reversed(got[1:]))
                self._running -= 1
                self._next()


class _Group(list[_Call[K, R]], Generic[K, R]):
    """Calls run together; the first leads."""
