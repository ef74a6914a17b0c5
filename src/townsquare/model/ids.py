"""Mastodon-style snowflake ids: milliseconds since the epoch << 16 | a sequence number.

Ids sort by creation time, so `max_id`/`since_id` pagination is a plain comparison.

Several processes make ids at once (`serve --workers N`, `townsquare worker`, several
machines), so the 16 low bits are a sequence (10 bits: 1,024 ids per millisecond before the
generator runs ahead of the clock) and the generator's tag (6 bits). Two processes with
different tags never make the same id; without them, two processes posting in the same
millisecond made the same id every time (a unique violation for one of the two posts). The tag
comes from the process id and the machine's name, so processes of one machine differ unless
their process ids are a multiple of 64 apart; pass `node` to set it.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import zlib
from datetime import datetime

from townsquare.model.clock import Clock, SystemClock

NODE_BITS = 6
SEQUENCE_BITS = 16 - NODE_BITS


_made = itertools.count()


def default_node() -> int:
    """A new generator's tag: its process id, offset by a hash of the machine's name and by
    the generators this process made before (so that two in one process differ too)."""
    salt = zlib.crc32(socket.gethostname().encode())
    return (os.getpid() + salt + next(_made)) % (1 << NODE_BITS)


class IdGenerator:
    def __init__(self, clock: Clock | None = None, node: int | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._last = 0  # milliseconds << SEQUENCE_BITS | sequence, of the last id made
        self.node = default_node() if node is None else node
        if not 0 <= self.node < 1 << NODE_BITS:
            raise ValueError(f"node must be in [0, {1 << NODE_BITS})")

    def next(self) -> int:
        ms = int(self._clock.now().timestamp() * 1000)
        with self._lock:
            # Monotonic even when the clock stands still (tests) or steps back (NTP).
            self._last = max(ms << SEQUENCE_BITS, self._last + 1)
            return self._last << NODE_BITS | self.node


def id_floor(moment: datetime) -> int:
    """The smallest id that could have been made at `moment` (for time-window queries)."""
    return int(moment.timestamp() * 1000) << 16


def id_time(snowflake: int) -> float:
    return (snowflake >> 16) / 1000.0
