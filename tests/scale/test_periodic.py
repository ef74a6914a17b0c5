"""Periodic jobs run once per period however many processes are started (jobs/periodic.py):
each run takes a Redis lock when Redis is shared, and one process holds a file lock on one
machine without it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.scale.conftest import drop_prefix, redis_url_or_skip
from townsquare.jobs.periodic import FileLeaderLock, RedisRunLock
from townsquare.jobs.queue import JobQueue
from townsquare.jobs.runner import JobRunner


def _runner(lock: FileLeaderLock | RedisRunLock, runs: list[str], me: str,
            seconds: float) -> JobRunner:
    runner = JobRunner(JobQueue(), lock)

    async def job() -> None:
        runs.append(me)

    runner.every("tick", seconds, job)
    return runner


async def test_each_run_is_taken_by_one_process(prefix: str) -> None:
    url = redis_url_or_skip()
    runs: list[str] = []
    a = _runner(RedisRunLock(url, prefix), runs, "a", 0.5)
    b = _runner(RedisRunLock(url, prefix), runs, "b", 0.5)
    try:
        a.start_periodic()
        b.start_periodic()
        await asyncio.sleep(1.2)  # runs due at 0, 0.5 and 1.0 s: three, not six
    finally:
        await a.stop_periodic()
        await b.stop_periodic()
        drop_prefix(url, prefix)
    assert 2 <= len(runs) <= 3, runs


async def test_one_process_runs_them_until_it_stops(tmp_path: Path) -> None:
    runs: list[str] = []
    path = tmp_path / "periodic.lock"
    a = _runner(FileLeaderLock(path), runs, "a", 0.2)
    b = _runner(FileLeaderLock(path), runs, "b", 0.2)
    a.start_periodic()
    await asyncio.sleep(0.05)
    b.start_periodic()
    await asyncio.sleep(0.7)
    assert runs and set(runs) == {"a"}
    await a.stop_periodic()  # the process exits: its lock goes, the other one takes over
    taken = len(runs)
    await asyncio.sleep(0.6)
    await b.stop_periodic()
    assert set(runs[taken:]) == {"b"}


async def test_a_process_that_cannot_open_the_lock_file_runs_them(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("")  # the data dir is a file: the lock file cannot be made
    lock = FileLeaderLock(not_a_dir / "periodic.lock")
    assert await lock.take("tick", 1.0) and await lock.take("tick", 1.0)
    await lock.close()
