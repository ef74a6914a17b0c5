"""Background jobs on taskiq: Redis Streams across machines, or in-process when embedded.

A job is a name and a JSON payload. With TOWNSQUARE_REDIS_URL the broker is taskiq-redis's
RedisStreamBroker: one stream, one consumer group shared by every `townsquare worker`, a job
acknowledged only after its handler returned, and jobs left unacknowledged by a dead worker
claimed by a live one after `claim_idle_ms` (at-least-once: handlers must be idempotent).
Why taskiq: asyncio-native like the rest of the stack, a real in-memory broker for the
embedded mode with the same task code, and brokers for Redis Streams, NATS, RabbitMQ and
PostgreSQL should a deployment prefer another (see docs/scale.md).
Without Redis, taskiq's InMemoryBroker runs the same handlers on the server's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask, InMemoryBroker
from taskiq.receiver import Receiver

from townsquare.timelines.tuning import Tuning

log = logging.getLogger("townsquare.jobs")

Handler = Callable[[dict[str, Any]], Awaitable[None]]
STREAM_MAXLEN = 1_000_000  # approximate; far above any backlog the workers leave behind


class JobQueue:
    def __init__(self, redis_url: str = "", tuning: Tuning | None = None) -> None:
        tuning = tuning or Tuning()
        self.distributed = bool(redis_url)
        self.broker: AsyncBroker
        if redis_url:
            from townsquare.jobs.streams import ClaimingStreamBroker

            self.broker = ClaimingStreamBroker(
                redis_url, queue_name=tuning.redis_prefix + "jobs",
                consumer_group_name=tuning.redis_prefix + "workers", consumer_id="0",
                idle_timeout=tuning.claim_idle_ms, xread_block=500,
                unacknowledged_lock_timeout=5, maxlen=STREAM_MAXLEN)
        else:
            self.broker = InMemoryBroker(max_async_tasks=64)
        self._tasks: dict[str, AsyncTaskiqDecoratedTask[Any, Any]] = {}
        self._started = False

    def register(self, name: str, handler: Handler) -> None:
        async def run(payload: dict[str, Any]) -> None:
            await handler(payload)

        self._tasks[name] = self.broker.register_task(run, task_name=name)

    async def send(self, name: str, payload: dict[str, Any]) -> None:
        if not self._started:
            await self.start()
        await self._tasks[name].kiq(payload)

    async def start(self) -> None:
        if not self._started:
            self._started = True
            await self.broker.startup()

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await self.broker.shutdown()

    async def drain(self, timeout: float = 60.0) -> None:
        """Wait until every job sent so far, and the ones they sent, has run: in-process,
        or (distributed) until the workers' group has nothing unread or unacknowledged."""
        if isinstance(self.broker, InMemoryBroker):
            while self.broker._running_tasks:
                await self.broker.wait_all()
            return
        deadline = asyncio.get_running_loop().time() + timeout
        while await self.backlog() > 0:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("jobs still queued after drain timeout")
            await asyncio.sleep(0.02)

    async def backlog(self) -> int:
        """Jobs not yet acknowledged (unread plus in progress) in the distributed queue."""
        from redis.asyncio import Redis
        from taskiq_redis import RedisStreamBroker

        broker = self.broker
        if not isinstance(broker, RedisStreamBroker):
            return len(getattr(broker, "_running_tasks", ()))
        async with Redis(connection_pool=broker.connection_pool) as r:
            try:
                groups = await r.xinfo_groups(broker.queue_name)
            except Exception:  # no stream yet: nothing was ever sent
                return 0
            for g in groups:
                name = g["name"].decode() if isinstance(g["name"], bytes) else g["name"]
                if name == broker.consumer_group_name:
                    lag = g.get("lag")
                    if lag is None:
                        # Redis leaves the lag unknown in some group histories; then count
                        # what lies past the group's last delivered entry (unread jobs), so a
                        # drain never mistakes an unread backlog for an empty one.
                        last = g["last-delivered-id"]
                        last = last.decode() if isinstance(last, bytes) else last
                        unread = await r.xrange(broker.queue_name, min=f"({last}", max="+")
                        lag = len(unread or ())
                    return int(lag) + int(g["pending"])
            # The stream exists but the group does not (yet, or again after a flush).
            return int(await r.xlen(broker.queue_name))

    async def work(self, stop: asyncio.Event, concurrency: int = 32) -> None:
        """Consume jobs until `stop` is set (the `townsquare worker` loop)."""
        self.broker.is_worker_process = True
        self._started = True
        receiver = Receiver(self.broker, max_async_tasks=concurrency, max_prefetch=concurrency,
                            propagate_exceptions=False)
        while not stop.is_set():
            try:
                await receiver.listen(stop)
            except Exception as exc:
                # Redis restarted or flushed: the stream's consumer group is gone (NOGROUP).
                # Declare it again and go on; jobs sent meanwhile are in the new stream.
                if stop.is_set():
                    break
                log.warning("job queue listener stopped (%s); reconnecting", exc)
                await asyncio.sleep(0.5)
                receiver.run_startup = False
                declare = getattr(self.broker, "_declare_consumer_group", None)
                if declare is not None:
                    with contextlib.suppress(Exception):
                        await declare()
