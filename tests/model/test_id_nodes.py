"""Snowflakes made by several generators at once (several processes) never repeat."""

from __future__ import annotations

from datetime import UTC, datetime

from townsquare.model.clock import FrozenClock
from townsquare.model.ids import NODE_BITS, IdGenerator, id_floor, id_time


def test_generators_with_different_tags_never_make_the_same_id() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    gens = [IdGenerator(clock, node=n) for n in range(1 << NODE_BITS)]
    made = [g.next() for _ in range(50) for g in gens]  # all in the same millisecond
    assert len(set(made)) == len(made)
    assert all(id_floor(clock.now()) <= i and id_time(i) == clock.now().timestamp()
               for i in made)


def test_generators_of_one_process_get_different_tags() -> None:
    tags = {IdGenerator().node for _ in range(8)}
    assert len(tags) == 8
