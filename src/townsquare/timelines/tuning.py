"""The knobs of timeline delivery, read from Settings.extra, then TOWNSQUARE_* env, then defaults.

They live here rather than in config.py because only the timeline and job modules use them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from townsquare.config import Settings


@dataclass(frozen=True)
class Tuning:
    fanout_threshold: int = 10_000  # authors with this many followers are merged at read time
    inactive_days: int = 30  # followers idle this long get no pushes; rebuilt when they return
    cap: int = 800  # entries kept per home timeline (Twitter's published figure)
    batch_size: int = 1_000  # followers per fan-out job
    redis_prefix: str = "ts:"  # every Redis key and the job stream start with this
    claim_idle_ms: int = 60_000  # a job unacknowledged this long is taken over by another worker
    # Home pages' statements (on Redis and PostgreSQL) running at once per process; pages
    # that arrive meanwhile wait and are checked together in one (store/coalesce.py). One
    # at a time saves the most PostgreSQL CPU but makes every page queue behind each round
    # trip (fewer pages a second); two to four served as many pages on 2 cores, two with
    # the least PostgreSQL CPU (docs/benchmarks.md, "Sixth round").
    page_checks: int = 2

    @classmethod
    def of(cls, settings: Settings) -> Tuning:
        values: dict[str, Any] = {}
        for name, default in cls.__dataclass_fields__.items():
            raw = settings.extra.get(name, os.environ.get("TOWNSQUARE_" + name.upper()))
            if raw is None:
                continue
            values[name] = int(raw) if isinstance(default.default, int) else str(raw)
        return cls(**values)
