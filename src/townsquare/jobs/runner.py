"""Job runner: periodic and fire-and-forget tasks on the event loop, and the job queue.

Handlers must be idempotent (they may run again after a crash), which is also what a
distributed queue with at-least-once delivery will require of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from townsquare.jobs.periodic import PeriodicLock
from townsquare.jobs.queue import Handler, JobQueue

log = logging.getLogger("townsquare.jobs")

Job = Callable[[], Awaitable[object]]


class JobRunner:
    """Periodic and fire-and-forget tasks of this process, plus the shared job queue
    (`register`/`send`), which crosses processes when Redis is configured."""

    def __init__(self, queue: JobQueue | None = None,
                 periodic_lock: PeriodicLock | None = None) -> None:
        self.queue = queue or JobQueue()
        # None: this process runs every periodic job (tests, one-off runners)
        self.periodic_lock = periodic_lock
        self._tasks: set[asyncio.Task[object]] = set()
        self._oneoff: set[asyncio.Task[object]] = set()
        self._periodic: list[tuple[str, float, Job]] = []
        self._running = False

    def every(self, name: str, seconds: float, job: Job) -> None:
        self._periodic.append((name, seconds, job))

    def register(self, name: str, handler: Handler) -> None:
        self.queue.register(name, handler)

    async def send(self, name: str, payload: dict[str, Any]) -> None:
        """Queue a named job (run by any worker; idempotent handlers, at-least-once)."""
        await self.queue.send(name, payload)

    def enqueue(self, job: Job) -> None:
        task = asyncio.get_running_loop().create_task(self._guard("job", job))
        self._tasks.add(task)
        self._oneoff.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._oneoff.discard)

    async def _guard(self, name: str, job: Job) -> object:
        try:
            return await job()
        except Exception:
            log.exception("job %s failed", name)
            return None

    async def _loop(self, name: str, seconds: float, job: Job) -> None:
        lock = self.periodic_lock
        while self._running:
            if lock is None or await lock.take(name, seconds):
                await self._guard(name, job)
            await asyncio.sleep(seconds)

    async def start(self, *, periodic: bool = True) -> None:
        """Start the queue, and with `periodic` the periodic jobs' loops (jobs/periodic.py
        says which process's runs go ahead)."""
        self._running = True
        await self.queue.start()
        if periodic:
            self.start_periodic()

    def start_periodic(self) -> None:
        self._running = True
        for name, seconds, job in self._periodic:
            task = asyncio.get_running_loop().create_task(self._loop(name, seconds, job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop_periodic(self) -> None:
        """Stop the periodic jobs' loops (a worker shutting down); the lock goes with them."""
        loops = [t for t in self._tasks if t not in self._oneoff]
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        if self.periodic_lock is not None:
            await self.periodic_lock.close()

    async def drain(self) -> None:
        """Wait for queued one-off jobs (tests use this to make background work visible)."""
        while True:
            await self.queue.drain()
            if not self._oneoff:
                break
            await asyncio.gather(*list(self._oneoff), return_exceptions=True)

    async def stop(self) -> None:
        from townsquare.timelines.activity import settle_all

        self._running = False
        await settle_all()  # timeline bookkeeping writes finish before the database goes
        await self.stop_periodic()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.queue.stop()
