"""Grouped calls (store/coalesce.py): who runs, on whose connection, with what, and what
each caller gets back, when calls wait, are cancelled or fail. `run` here is the caller's
function the coalescer groups calls to (in the app, one statement for several home pages:
tests/scale/test_page_checks.py runs that against PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from townsquare.store.coalesce import Coalescer


class Runs:
    """Records each group: the connection it ran on and its items; answers item * 10. A
    group holding an item of `gates` waits for that item's event before answering."""

    def __init__(self, hold: Sequence[int] = ()) -> None:
        self.groups: list[tuple[Any, list[int]]] = []
        self.gates = {i: asyncio.Event() for i in hold}
        self.started = asyncio.Event()
        self.fail: set[int] = set()
        self.then: dict[int, Any] = {}  # item -> called as its group answers

    def open(self, item: int) -> None:
        self.gates[item].set()

    async def __call__(self, conn: str, items: Sequence[int]) -> list[int]:
        self.groups.append((conn, list(items)))
        self.started.set()
        for i in items:
            if i in self.gates:
                await self.gates[i].wait()
        if self.fail & set(items):
            raise RuntimeError(f"statement failed for {sorted(self.fail & set(items))}")
        for i in items:
            if i in self.then:
                self.then[i]()
        return [i * 10 for i in items]


async def answer(task: Any) -> Any:
    """The task's result; a call left unanswered fails the test instead of hanging it."""
    return await asyncio.wait_for(task, 2)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_lone_call_runs_at_once() -> None:
    runs = Runs()
    c: Coalescer[str, int, int] = Coalescer(runs)
    assert await c("conn", 4) == 40
    assert runs.groups == [("conn", [4])]


async def test_calls_waiting_behind_a_running_one_go_together_on_the_oldest_callers_conn(
        ) -> None:
    runs = Runs(hold=[1])
    c: Coalescer[str, int, int] = Coalescer(runs, limit=1)
    first = asyncio.create_task(c("conn1", 1))
    await runs.started.wait()
    rest = [asyncio.create_task(c(f"conn{i}", i)) for i in (2, 3, 4)]
    await settle()
    assert runs.groups == [("conn1", [1])]  # the others wait
    runs.open(1)
    assert await answer(first) == 10
    assert [await answer(t) for t in rest] == [20, 30, 40]
    assert runs.groups == [("conn1", [1]), ("conn2", [2, 3, 4])]
    assert (c.groups, c.calls) == (2, 4)


async def test_limit_groups_run_at_once_and_most_items_a_group() -> None:
    runs = Runs(hold=[1, 2])
    c: Coalescer[str, int, int] = Coalescer(runs, limit=2, most=2)
    running = [asyncio.create_task(c(f"conn{i}", i)) for i in (1, 2)]
    await settle()
    waiting = [asyncio.create_task(c(f"conn{i}", i)) for i in (3, 4, 5)]
    await settle()
    assert [items for _, items in runs.groups] == [[1], [2]]
    runs.open(1)
    runs.open(2)
    assert [await answer(t) for t in running + waiting] == [10, 20, 30, 40, 50]
    assert sorted(items for _, items in runs.groups) == [[1], [2], [3, 4], [5]]


async def line_up(c: Coalescer[str, int, int], runs: Runs
                  ) -> tuple[asyncio.Task[int], asyncio.Task[int], list[asyncio.Task[int]]]:
    """Call 1 running (held), then 2, 3, 4 waiting behind it: 2 will lead their group."""
    first = asyncio.create_task(c("conn1", 1))
    await runs.started.wait()
    leader = asyncio.create_task(c("conn2", 2))
    followers = [asyncio.create_task(c(f"conn{i}", i)) for i in (3, 4)]
    await settle()
    return first, leader, followers


async def test_a_leader_cancelled_while_running_hands_its_followers_on() -> None:
    runs = Runs(hold=[1, 2])
    c: Coalescer[str, int, int] = Coalescer(runs, limit=1)
    first, leader, followers = await line_up(c, runs)
    runs.open(1)
    assert await answer(first) == 10
    await settle()
    assert runs.groups[-1] == ("conn2", [2, 3, 4])  # running, held at item 2
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert [await answer(t) for t in followers] == [30, 40]
    assert runs.groups[-1] == ("conn3", [3, 4])  # on a follower's own connection now


async def test_a_leader_cancelled_before_it_starts_hands_its_group_on() -> None:
    runs = Runs(hold=[1])
    c: Coalescer[str, int, int] = Coalescer(runs, limit=1)
    first, leader, followers = await line_up(c, runs)
    # Cancelled after the group of 1 answered, before 2's task resumes with the group
    # handed to it (the callback runs before the task's wake-up).
    runs.then[1] = lambda: asyncio.get_running_loop().call_soon(leader.cancel)
    runs.open(1)
    assert await answer(first) == 10
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert [await answer(t) for t in followers] == [30, 40]
    assert [items for _, items in runs.groups] == [[1], [3, 4]]


async def test_a_follower_cancelled_while_waiting_leaves_the_group() -> None:
    runs = Runs(hold=[1])
    c: Coalescer[str, int, int] = Coalescer(runs, limit=1)
    first = asyncio.create_task(c("conn1", 1))
    await runs.started.wait()
    waiting = {i: asyncio.create_task(c(f"conn{i}", i)) for i in (2, 3, 4)}
    await settle()
    waiting[3].cancel()
    await settle()
    runs.open(1)
    assert await answer(first) == 10
    assert (await answer(waiting[2]), await answer(waiting[4])) == (20, 40)
    assert waiting[3].cancelled()
    assert [items for _, items in runs.groups] == [[1], [2, 4]]
    assert await c("conn5", 5) == 50  # nothing left running or waiting


async def test_an_error_is_every_members_error_and_the_next_calls_still_run() -> None:
    runs = Runs(hold=[1])
    c: Coalescer[str, int, int] = Coalescer(runs, limit=1)
    first = asyncio.create_task(c("conn1", 1))
    await runs.started.wait()
    group = [asyncio.create_task(c(f"conn{i}", i)) for i in (2, 3)]
    await settle()
    runs.fail = {3}
    runs.open(1)
    assert await answer(first) == 10
    for t in group:
        with pytest.raises(RuntimeError, match=r"statement failed for \[3\]"):
            await answer(t)
    runs.fail = set()
    assert await asyncio.gather(c("a", 6), c("b", 7)) == [60, 70]


async def test_a_caller_cancelled_just_as_its_group_forms_is_left_out() -> None:
    """The oldest waiting caller is cancelled in the same turn as the running group ends:
    the next group forms before the cancelled caller's task has run, and must skip it
    (leading with it would hand a group to a caller that is gone)."""
    runs = Runs(hold=[1])
    c: Coalescer[str, int, int] = Coalescer(runs, limit=1)
    first, gone, rest = await line_up(c, runs)
    runs.open(1)  # 1's task resumes first and forms the next group...
    gone.cancel()  # ...before 2's task hears it was cancelled
    assert await answer(first) == 10
    assert [await answer(t) for t in rest] == [30, 40]
    assert gone.cancelled()
    assert [items for _, items in runs.groups] == [[1], [3, 4]]
