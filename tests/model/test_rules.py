"""Snowflake ids, poll rules and the visibility rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from townsquare.model import polls
from townsquare.model.clock import FrozenClock, iso
from townsquare.model.ids import IdGenerator, id_floor, id_time
from townsquare.model.visibility import can_see, counted_publicly


def test_snowflakes_sort_by_time_and_never_repeat() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    ids = IdGenerator(clock)
    first = [ids.next() for _ in range(1000)]  # same millisecond: the sequence counts
    assert first == sorted(set(first))
    clock.advance(1)
    later = ids.next()
    assert later > first[-1]
    assert later >= id_floor(clock.now())
    assert id_time(later) == clock.now().timestamp()


def test_iso_format() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"


LIMITS = polls.PollLimits()


@pytest.mark.parametrize(("options", "expires", "message"), [
    (["only"], 600, "at least 2"),
    (["a", "b", "c", "d", "e"], 600, "at most 4"),
    (["a", "x" * 51], 600, "at most 50"),
    (["a", " "], 600, "empty"),
    (["a", "a"], 600, "different"),
    (["a", "b"], 299, "at least 5 minutes"),
    (["a", "b"], 31 * 86400 + 1, "at most 31 days"),
])
def test_poll_validation_refuses(options: list[str], expires: int, message: str) -> None:
    with pytest.raises(polls.PollError, match=message):
        polls.validate(options, expires, LIMITS)


def test_poll_validation_accepts_boundaries() -> None:
    assert polls.validate(["a", "x" * 50], 300, LIMITS) == ["a", "x" * 50]
    assert polls.validate(["a", "b", "c", "d"], 31 * 86400, LIMITS) == ["a", "b", "c", "d"]


def test_poll_choices() -> None:
    assert polls.validate_choices([1, 0, 1], 3, True) == [0, 1]
    with pytest.raises(polls.PollError):
        polls.validate_choices([0, 1], 3, False)
    with pytest.raises(polls.PollError):
        polls.validate_choices([3], 3, False)
    with pytest.raises(polls.PollError):
        polls.validate_choices([], 3, True)


AUTHOR, OTHER = 1, 2


@pytest.mark.parametrize(("visibility", "viewer", "follows", "mentioned", "blocked", "expected"), [
    ("public", None, False, False, False, True),
    ("unlisted", None, False, False, False, True),
    ("private", None, False, False, False, False),
    ("private", OTHER, False, False, False, False),
    ("private", OTHER, True, False, False, True),
    ("private", OTHER, False, True, False, True),
    ("direct", OTHER, True, False, False, False),
    ("direct", OTHER, False, True, False, True),
    ("public", OTHER, False, False, True, False),
    ("private", OTHER, True, True, True, False),
    ("direct", AUTHOR, False, False, False, True),
])
def test_visibility_rule(visibility: str, viewer: int | None, follows: bool, mentioned: bool,
                         blocked: bool, expected: bool) -> None:
    assert can_see(visibility, AUTHOR, viewer, follows_author=follows, mentioned=mentioned,
                   blocked=blocked) is expected


def test_only_open_posts_are_counted_publicly() -> None:
    assert [counted_publicly(v) for v in ("public", "unlisted", "private", "direct")] == \
        [True, True, False, False]
