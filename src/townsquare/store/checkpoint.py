"""SQLite's WAL checkpoints, on a thread of their own.

In WAL mode every commit appends the pages it changed to the write-ahead log, and a
checkpoint copies them back into the database file. SQLite's automatic checkpoint runs in
the commit that crosses its mark, that is on the post writer's thread (store/db.py), which
is the embedded store's bottleneck: a post to ~100 followers changes a `home_timeline` leaf
per follower, and copying them back was a third of the writer's time a post (commit 0.93-1.09
ms a post with the checkpoints, 0.49 without; bench figures in docs/benchmarks.md, "Seventh
round"). A PASSIVE checkpoint on another connection copies what no reader still needs while
the writer goes on, on the other core. The automatic checkpoint stays, at a higher mark, as
the backstop should this thread fall behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger("townsquare.checkpoint")

EVERY = 0.05  # seconds between checkpoints; one with nothing to copy costs a few microseconds


class Checkpointer:
    def __init__(self, path: str, every: float = EVERY) -> None:
        self._path = path
        self._every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None)
        failures = 0
        try:
            while not self._stop.wait(self._every):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    failures = 0
                except sqlite3.Error as e:  # busy (another checkpoint); tried again next time
                    failures += 1
                    if failures == 100:
                        log.warning("WAL checkpoints keep failing: %s", e)
        finally:
            conn.close()
