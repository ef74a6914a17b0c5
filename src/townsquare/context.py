"""The services one running townsquare holds, built once by app.py and passed to actions and
queries: settings, the database, the clock and id generator, timelines, jobs, files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher

from townsquare.config import Settings
from townsquare.model.clock import Clock, SystemClock
from townsquare.model.ids import IdGenerator
from townsquare.store.db import Database

if TYPE_CHECKING:
    from townsquare.jobs.runner import JobRunner
    from townsquare.store.files import FileStore
    from townsquare.timelines.base import HomeTimelines
    from townsquare.timelines.events import EventBus


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Clock
    ids: IdGenerator
    passwords: PasswordHasher
    timelines: HomeTimelines
    jobs: JobRunner
    files: FileStore
    events: EventBus | None = None  # live events for streaming, shared across processes
    extras: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.settings.base_url + path


def build_context(settings: Settings, *, clock: Clock | None = None) -> Context:
    from townsquare.jobs.periodic import FileLeaderLock, PeriodicLock, RedisRunLock
    from townsquare.jobs.queue import JobQueue
    from townsquare.jobs.runner import JobRunner
    from townsquare.store.files import FileStore
    from townsquare.timelines.events import EventBus
    from townsquare.timelines.sql import SqlHomeTimelines
    from townsquare.timelines.tuning import Tuning

    clock = clock or SystemClock()
    db = Database(settings.resolved_database_url, pool_size=settings.db_pool)
    tuning = Tuning.of(settings)
    # With Redis: jobs on Redis Streams shared by every process, timelines in Redis, and
    # each periodic job's run taken by one worker (jobs/periodic.py).
    lock: PeriodicLock = (RedisRunLock(settings.redis_url, tuning.redis_prefix)
                          if settings.redis_url
                          else FileLeaderLock(settings.data_dir / "periodic.lock"))
    jobs = JobRunner(JobQueue(settings.redis_url, tuning), lock)
    timelines: HomeTimelines
    if settings.redis_url:
        from townsquare.timelines.redis import RedisHomeTimelines

        timelines = RedisHomeTimelines(db, clock, settings.redis_url, jobs, tuning)
    else:
        timelines = SqlHomeTimelines(clock, db, tuning)
    return Context(
        settings=settings,
        db=db,
        clock=clock,
        ids=IdGenerator(clock),
        passwords=PasswordHasher(time_cost=settings.argon2_time_cost,
                                 memory_cost=settings.argon2_memory_cost),
        timelines=timelines,
        jobs=jobs,
        files=FileStore(settings.media_dir),
        events=EventBus(settings.redis_url, tuning.redis_prefix),
    )
