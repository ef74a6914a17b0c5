"""Who runs the periodic jobs (poll endings, notes rescoring, integrity detection...): one
process at a time, however many are started.

- With Redis (the scaled setup), the `townsquare worker` processes run them, never the web
  processes, and each run takes a lock of its own in Redis first, held for the job's period:
  whichever worker comes first after that runs the next one, so a job runs once per period
  across every machine, and goes on running when a worker dies.
- Without Redis (embedded, `townsquare serve` on one machine, maybe with `--workers N`), the
  web process holding an exclusive lock on `<data dir>/periodic.lock` runs them; when it
  exits the lock is released and another process takes over at its next try.

Before, every web process ran every job: N processes detected the same campaigns N times,
and wrote their public decisions N times.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("townsquare.jobs")


class PeriodicLock(Protocol):
    async def take(self, name: str, seconds: float) -> bool:
        """Whether this process runs job `name`'s run that is due now."""

    async def close(self) -> None: ...


class RedisRunLock:
    """One run per period across processes: SET NX with the period as its expiry."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(redis_url)
        self._prefix = prefix
        self._me = uuid.uuid4().hex

    async def take(self, name: str, seconds: float) -> bool:
        try:
            return bool(await self._redis.set(f"{self._prefix}periodic:{name}", self._me,
                                              nx=True, px=max(1, int(seconds * 1000))))
        except Exception as exc:  # Redis away: nobody can take it; the next try will tell
            log.warning("periodic job %s skipped: Redis unavailable (%s)", name, exc)
            return False

    async def close(self) -> None:
        await self._redis.aclose()


class FileLeaderLock:
    """The process holding an exclusive lock on a file runs every periodic job."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self._alone = False  # the file cannot be opened: this process runs them

    async def take(self, name: str, seconds: float) -> bool:
        if self._fd is not None or self._alone:
            return True
        try:
            import fcntl
        except ImportError:  # no flock (Windows): one process is all there is
            return True
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # a read-only data dir: run them, as a lone process would
            log.warning("periodic jobs run without %s: %s", self._path, exc)
            self._alone = True
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None
