"""Mastodon-style snowflake ids: milliseconds since the epoch << 16 | a sequence number.

Ids sort by creation time, so `max_id`/`since_id` pagination is a plain comparison.
"""

from __future__ import annotations

import threading
from datetime import datetime

from townsquare.model.clock import Clock, SystemClock


class IdGenerator:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        ms = int(self._clock.now().timestamp() * 1000)
        with self._lock:
            candidate = ms << 16
            # Monotonic even when the clock stands still (tests) or steps back (NTP).
            self._last = max(candidate, self._last + 1)
            return self._last


def id_floor(moment: datetime) -> int:
    """The smallest id that could have been made at `moment` (for time-window queries)."""
    return int(moment.timestamp() * 1000) << 16


def id_time(snowflake: int) -> float:
    return (snowflake >> 16) / 1000.0
